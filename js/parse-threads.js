// Parse threads: while the core, on the main thread, reads the timing reports of a plan or a record in order from the
// first, worker threads (js/parse-worker.js, each with its own instance of the same compiled module) take reports
// from the last and parse them; the core takes each report parsed by a thread instead of parsing it, so the work
// meets in the middle. The core still reads the reports in their given order, whoever parsed them, so the plan and
// the store are the same byte for byte with or without threads.
//
// A thread gets its job in a message: the compiled module, the reports, the claims and a port to answer on.
//
// Claims are made in a SharedArrayBuffer, one slot per report (FREE → MAIN or THREAD → DONE), with a
// compare-exchange: every report is parsed exactly once. The core's reader is synchronous, so when it comes to a report
// a thread holds, the main thread waits for it (Atomics.wait) and takes the thread's answer off its port at once
// (receiveMessageOnPort). A thread that fails on a report, or takes longer than WAIT_MS, leaves it to the main
// thread: a thread can make a plan slower, never different.
//
// TIMESHARD_PARSE_THREADS: unset → automatic (threads when the reports are large enough to pay for one; one fewer
// than the available cores, at most MAX_THREADS); 0 → never; N → N threads whenever there are two reports or more.

import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

const FREE = 0;
const MAIN = 1;
const THREAD = 2;
const DONE = 3;

/** Automatic mode starts threads only from this many bytes of reports: a thread takes ~25–40 ms to start, in which
 * the main thread parses ~8 MB of JUnit; below this the main thread is done before a thread could help. */
const MIN_AUTO_BYTES = 16 * 1024 * 1024;
/** Automatic mode's most threads. */
const MAX_THREADS = 3;
/** Reports larger than this stay with the main thread, which reads only as much of a file as the core accepts. */
const MAX_THREAD_FILE_BYTES = 64 * 1024 * 1024;
/** The longest the main thread waits for a thread's report before parsing it itself. */
const WAIT_MS = 30_000;

/** The most threads TIMESHARD_PARSE_THREADS allows (see above), whatever the reports. */
function threadLimit(env) {
  const raw = env.TIMESHARD_PARSE_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  }
  return Math.max(0, Math.min(availableParallelism() - 1, MAX_THREADS));
}

/** How many threads for `files` ({ size }), from TIMESHARD_PARSE_THREADS (see above); 0 for none. */
export function threadCount(files, env = process.env) {
  if (files.length < 2) return 0;
  const forced = env.TIMESHARD_PARSE_THREADS !== undefined && env.TIMESHARD_PARSE_THREADS !== '';
  const bytes = files.reduce((sum, f) => sum + (Number.isFinite(f.size) ? f.size : 0), 0);
  if (!forced && bytes < MIN_AUTO_BYTES) return 0;
  return Math.min(threadLimit(env), files.length - 1);
}

function spawn() {
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url));
  // A thread never keeps the process alive: the main thread waits for one only through take().
  worker.unref();
  return worker;
}

/**
 * Starts threads that parse some of `files` ([{ name, path, size }], the reports in the order the core reads them)
 * with `roots`, using the compiled `module`; null when no thread is wanted (threadCount) or none could start.
 * Returns { take(i), close(), covers(files), notes }: take(i), called by the core's reader when it comes to report i
 * (in order), gives the parsed form of report i (a Uint8Array) or null when the main thread is to parse it; close()
 * stops the threads (a pool serves one core call); covers(files) says whether an open pool was started for exactly
 * these files; notes lists what went wrong in a thread (the plan is the same; the caller passes them on).
 */
export function startParseThreads(files, roots, module, env = process.env) {
  const count = threadCount(files, env);
  if (count === 0) return null;
  const state = new Int32Array(new SharedArrayBuffer(4 * files.length));
  files.forEach((f, i) => {
    // Files too large for a thread (or of unknown size) are the main thread's from the start.
    if (!(Number.isFinite(f.size) && f.size <= MAX_THREAD_FILE_BYTES)) state[i] = MAIN;
  });
  const threads = [];
  const notes = [];
  const jobFiles = files.map(({ name, path }) => ({ name, path }));
  for (let k = 0; k < count; k += 1) {
    const { port1, port2 } = new MessageChannel();
    let worker = null;
    try {
      worker = spawn();
      worker.postMessage({ module, roots, state, port: port2, files: jobFiles }, [port2]);
      port1.unref();
      worker.on('error', (error) => notes.push(`parse thread ${k + 1} stopped: ${error.message}`));
      threads.push({ worker, port: port1 });
    } catch (error) {
      notes.push(`parse thread ${k + 1} did not start: ${error.message}`);
      port1.close();
      worker?.terminate().catch(() => {});
    }
  }
  if (threads.length === 0) return null;
  const answers = new Map();
  /** Reports handed to the core parsed by a thread. */
  let handed = 0;

  /** Moves every answer the threads have posted into `answers`. */
  function drain() {
    for (const { port } of threads) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        answers.set(m.message.i, m.message);
      }
    }
  }

  function take(i) {
    if (i < 0 || i >= files.length) return null;
    const was = Atomics.compareExchange(state, i, FREE, MAIN);
    if (was === FREE || was === MAIN) return null;
    const deadline = Date.now() + WAIT_MS;
    while (Atomics.load(state, i) === THREAD) {
      const left = deadline - Date.now();
      if (left <= 0) {
        notes.push(`${files[i].name}: no answer from its parse thread within ${WAIT_MS / 1000} s; parsed here`);
        return null;
      }
      Atomics.wait(state, i, THREAD, left);
    }
    drain();
    const answer = answers.get(i);
    answers.delete(i);
    if (answer?.bytes instanceof Uint8Array) {
      handed += 1;
      return answer.bytes;
    }
    // error null: the thread could not read the file, and the main thread will say why when it tries.
    if (answer?.error !== null) notes.push(`${files[i].name}: ${answer?.error ?? 'no answer from its parse thread'}; parsed here`);
    return null;
  }

  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    for (const { worker, port } of threads) {
      port.close();
      worker.terminate().catch(() => {});
    }
  }

  /** Whether this pool was started for exactly `others` (the same paths in the same order). */
  function covers(others) {
    return !closed && others.length === files.length && others.every((f, i) => f.path === files[i].path && f.name === files[i].name);
  }

  /** Reports a thread has finished with, so far (tests wait for these). */
  function done() {
    let n = 0;
    for (let i = 0; i < files.length; i += 1) if (Atomics.load(state, i) === DONE) n += 1;
    return n;
  }

  return { take, close, covers, done, handed: () => handed, notes, threads: threads.length };
}

export const CLAIM = { FREE, MAIN, THREAD, DONE };
