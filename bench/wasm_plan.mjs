// Times the wasm `plan` call alone, in process, on the scale suite's JUnit reports: a fresh module instance per
// iteration (the first call of a process pays for V8's baseline compiler, later ones run tiered-up code).
// A profiling aid next to bench/run.py, whose speed part times whole processes.
//
//   node bench/wasm_plan.mjs [PKG_DIR] [ITERATIONS]      defaults: pkg (npm run build:wasm), 4
//   G=test node bench/wasm_plan.mjs                      another granularity (default file)
//
// Prints the minimum and median milliseconds. Compare two builds by alternating runs of each.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.resolve(process.argv[2] ?? path.join(root, 'pkg'));
const iterations = Number(process.argv[3] ?? 4);
const junit = path.join(root, 'bench', 'out', 'scale', 'junit');
let files;
try {
  files = readdirSync(junit).filter((f) => f.endsWith('.xml')).map((f) => path.join(junit, f));
} catch {
  console.error(`no scale suite in ${junit}: run python3 bench/run.py --only speed once (or make_scale_suite.py)`);
  process.exit(2);
}
const times = [];
for (let i = 0; i < iterations; i++) {
  const m = await import(`${pathToFileURL(path.join(dir, 'timeshard.js')).href}?i=${i}`);
  const { memory } = m.initSync({ module: readFileSync(path.join(dir, 'timeshard_bg.wasm')) });
  // As the shim does (js/engine.js): builds with FileBytes get the reports read straight into their memory (not
  // timed); older builds take the bytes inline.
  let timings;
  const core = [];
  if (m.FileBytes) {
    timings = files.map((f, k) => {
      const data = readFileSync(f);
      const bytes = new m.FileBytes(data.length);
      new Uint8Array(memory.buffer, bytes.ptr(), data.length).set(data);
      core.push(bytes);
      return { name: f, file: k };
    });
  } else {
    timings = files.map((f) => ({ name: f, data: readFileSync(f) }));
  }
  const request = { tests: null, timings, store: null, granularity: process.env.G || 'file', workers: 64, roots: [] };
  const t = performance.now();
  m.plan(request, core);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`${dir}: min ${times[0].toFixed(0)} ms, median ${times[iterations >> 1].toFixed(0)} ms (${iterations} runs)`);
