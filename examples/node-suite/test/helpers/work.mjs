// Stands for the slow part of a real test (I/O, a subprocess, a browser): waits `ms` milliseconds.
import { setTimeout as sleep } from 'node:timers/promises';

export function work(ms) {
  return sleep(ms);
}
