// A parse thread (see js/parse-threads.js): waits for its job, then, with its own instance of the compiled module
// (sent with the job), claims reports from the last towards the first until it meets one the main thread has
// claimed, parses each with the core's parse_report, and posts the parsed form (transferred, not copied) before
// marking the report done. The core reads each report straight into this instance's memory (js/file-reader.js),
// as the main thread's core does: no JS buffer per report, and the memory of one report is reused for the next.
// The thread ends when its job is done (nothing keeps its event loop alive).

import { parentPort } from 'node:worker_threads';
import { initSync, parse_report as parseReport } from '../pkg/timeshard.js';
import { fileReader } from './file-reader.js';
import { CLAIM } from './parse-threads.js';

parentPort.once('message', run);

/** Parses reports from the last towards the first until one the main thread has claimed. */
function run({ module, roots, state, port, files }) {
  let ready = null;
  let reader = null;
  try {
    const { memory } = initSync({ module });
    // A file that cannot be read is left to the main thread, which reads it again and says why it cannot (as it
    // would without threads).
    reader = fileReader(files.map((f) => f.path), memory, () => {});
  } catch (error) {
    ready = `the module did not instantiate in a parse thread: ${error.message}`;
  }
  for (let i = files.length - 1; i >= 0; i -= 1) {
    const was = Atomics.compareExchange(state, i, CLAIM.FREE, CLAIM.THREAD);
    // The main thread claims in order from the first: below a report it has claimed, it has claimed them all.
    if (was === CLAIM.MAIN) break;
    if (was !== CLAIM.FREE) continue;
    let answer;
    try {
      if (ready !== null) throw new Error(ready);
      // undefined: the file could not be read (error null: the main thread will say why).
      const bytes = parseReport(files[i].name, i, reader, roots);
      answer = bytes === undefined ? { i, error: null } : { i, bytes };
    } catch (error) {
      answer = { i, error: `parse thread: ${error?.message ?? error}` };
    } finally {
      reader?.close();
    }
    port.postMessage(answer, answer.bytes ? [answer.bytes.buffer] : []);
    Atomics.store(state, i, CLAIM.DONE);
    Atomics.notify(state, i);
  }
}
