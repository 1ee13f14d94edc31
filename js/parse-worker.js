// A parse thread (see js/parse-threads.js): waits for its job, then, with its own instance of the compiled module
// (sent with the job), claims reports from the last towards the first until it meets one the main thread has
// claimed, parses each with the core's parse_report, and posts the parsed form (transferred, not copied) before
// marking the report done. The thread ends when its job is done (nothing keeps its event loop alive).

import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { initSync, parse_report as parseReport } from '../pkg/timeshard.js';
import { CLAIM } from './parse-threads.js';

parentPort.once('message', run);

/** Parses reports from the last towards the first until one the main thread has claimed. */
function run({ module, roots, state, port, files }) {
  let ready = null;
  try {
    initSync({ module });
  } catch (error) {
    ready = `the module did not instantiate in a parse thread: ${error.message}`;
  }
  for (let i = files.length - 1; i >= 0; i -= 1) {
    const was = Atomics.compareExchange(state, i, CLAIM.FREE, CLAIM.THREAD);
    // The main thread claims in order from the first: below a report it has claimed, it has claimed them all.
    if (was === CLAIM.MAIN) break;
    if (was !== CLAIM.FREE) continue;
    let answer;
    let data = null;
    try {
      data = readFileSync(files[i].path);
    } catch {
      // Left to the main thread, which reads it again and says why it cannot (as it would without threads).
      answer = { i, error: null };
    }
    if (data !== null) {
      try {
        if (ready !== null) throw new Error(ready);
        answer = { i, bytes: parseReport(files[i].name, data, roots) };
      } catch (error) {
        answer = { i, error: `parse thread: ${error?.message ?? error}` };
      }
    }
    port.postMessage(answer, answer.bytes ? [answer.bytes.buffer] : []);
    Atomics.store(state, i, CLAIM.DONE);
    Atomics.notify(state, i);
  }
}
