// Times the wasm `plan` call alone, in process, on the scale suite's JUnit reports: a fresh module instance per
// iteration (the first call of a process pays for V8's baseline compiler, later ones run tiered-up code).
// A profiling aid next to bench/run.py, whose speed part times whole processes.
//
//   node bench/wasm_plan.mjs [PKG_DIR] [ITERATIONS]      defaults: pkg (npm run build:wasm), 4
//   G=test node bench/wasm_plan.mjs                      another granularity (default file)
//   STORE=bench/out/speed/history.json node bench/wasm_plan.mjs PKG 1
//                                                        plans from that store (read through the reader, as the
//                                                        action does) instead of the reports
//   PER_FILE=1 node bench/wasm_plan.mjs PKG 1            also, per call, the ms from reading each report to reading
//                                                        the next (the last: to the end of the call, so it holds the
//                                                        work after the reports); alternate two builds' processes
//
// Prints the minimum and median milliseconds. Compare two builds by alternating runs of each.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.resolve(process.argv[2] ?? path.join(root, 'pkg'));
const iterations = Number(process.argv[3] ?? 4);
const junit = path.join(root, 'bench', 'out', 'scale', 'junit');
const store = process.env.STORE;
let files;
try {
  files = store ? [path.resolve(store)] : readdirSync(junit).filter((f) => f.endsWith('.xml')).map((f) => path.join(junit, f));
} catch {
  console.error(`no scale suite in ${junit}: run python3 bench/run.py --only speed once (or make_scale_suite.py)`);
  process.exit(2);
}
const times = [];
// When each report was read, for PER_FILE.
const stamps = [];
for (let i = 0; i < iterations; i++) {
  const m = await import(`${pathToFileURL(path.join(dir, 'timeshard.js')).href}?i=${i}`);
  const { memory } = m.initSync({ module: readFileSync(path.join(dir, 'timeshard_bg.wasm')) });
  // As the shim does (js/engine.js): current builds read each report through a reader into their memory when
  // they get to it (here from buffers read before the clock starts, so the timed call includes one copy of the
  // 47 MB, as the shim's reads do); builds with FileBytes (before the reader) get them all in memory up front.
  let timings;
  let core;
  const data = files.map((f) => readFileSync(f));
  if (m.FileBytes) {
    core = [];
    timings = data.map((d, k) => {
      const bytes = new m.FileBytes(d.length);
      new Uint8Array(memory.buffer, bytes.ptr(), d.length).set(d);
      core.push(bytes);
      return { name: files[k], file: k };
    });
  } else {
    core = {
      // Every report parsed here (builds with parse threads ask first whether a thread parsed it).
      parsed: () => -1,
      size: (k) => data[k].length,
      read: (k, ptr, len) => {
        stamps.push(performance.now());
        new Uint8Array(memory.buffer, ptr, len).set(data[k].subarray(0, len));
        return Math.min(len, data[k].length);
      },
    };
    timings = data.map((d, k) => ({ name: files[k], read: k, size: d.length }));
  }
  const request = { tests: null, timings, store: null, granularity: process.env.G || 'file', workers: 64, roots: [] };
  if (store) {
    if (m.FileBytes) throw new Error('STORE needs a build that reads files through the reader');
    [request.store_file] = timings;
    request.timings = [];
  }
  const t = performance.now();
  const out = m.plan(request, core);
  // Builds since 2026-11-27 return the plan as JSON text, which the shim parses: part of the call's cost.
  if (typeof out === 'string') JSON.parse(out);
  const end = performance.now();
  times.push(end - t);
  if (process.env.PER_FILE) {
    const spans = stamps.map((s, j) => (stamps[j + 1] ?? end) - s);
    console.log(`call ${i + 1}: ${spans.map((x) => x.toFixed(0)).join(' ')} ms`);
  }
  stamps.length = 0;
}
times.sort((a, b) => a - b);
console.log(`${dir}: min ${times[0].toFixed(0)} ms, median ${times[iterations >> 1].toFixed(0)} ms (${iterations} runs)`);
