// How much parsing the reports in worker threads could save: W workers, each with its own instance of the wasm
// (compiled once, shared), read a share of the scale suite's reports into their own memory and plan from them
// alone. The time from spawning to the last worker's answer, against W = 1 doing all of it, bounds what splitting
// the parse over threads can gain before merging the results (which this probe does not do). A measurement aid for
// the speed notes, not part of the product.
//
//   node bench/parallel_probe.mjs [PKG_DIR] [ROUNDS]        defaults: pkg (npm run build:wasm), 3
//
// Prints, per W in 1, 2, 4, the median and minimum of the wall time over the rounds (W alternating each round).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

if (isMainThread) {
  const root = path.resolve(import.meta.dirname, '..');
  const dir = path.resolve(process.argv[2] ?? path.join(root, 'pkg'));
  const rounds = Number(process.argv[3] ?? 3);
  const junit = path.join(root, 'bench', 'out', 'scale', 'junit');
  const files = readdirSync(junit).filter((f) => f.endsWith('.xml')).map((f) => path.join(junit, f));
  const module = new WebAssembly.Module(readFileSync(path.join(dir, 'timeshard_bg.wasm')));
  const glue = pathToFileURL(path.join(dir, 'timeshard.js')).href;
  const times = new Map([1, 2, 4].map((w) => [w, []]));
  for (let r = 0; r < rounds; r++) {
    for (const w of times.keys()) {
      const shares = Array.from({ length: w }, (_, k) => files.filter((_, i) => i % w === k));
      const t = performance.now();
      await Promise.all(
        shares.map(
          (share) =>
            new Promise((resolve, reject) => {
              const worker = new Worker(new URL(import.meta.url), { workerData: { module, glue, share } });
              worker.once('message', resolve);
              worker.once('error', reject);
            }),
        ),
      );
      times.get(w).push(performance.now() - t);
    }
  }
  for (const [w, ts] of times) {
    ts.sort((a, b) => a - b);
    console.log(`W=${w}: median ${ts[ts.length >> 1].toFixed(0)} ms, min ${ts[0].toFixed(0)} ms (${rounds} rounds)`);
  }
} else {
  const m = await import(workerData.glue);
  const { memory } = m.initSync({ module: workerData.module });
  // Each report read into the module when the core gets to it, as js/engine.js does.
  const data = workerData.share.map((f) => readFileSync(f));
  const reader = {
    size: (k) => data[k].length,
    read: (k, ptr, len) => {
      new Uint8Array(memory.buffer, ptr, len).set(data[k].subarray(0, len));
      return Math.min(len, data[k].length);
    },
  };
  const timings = workerData.share.map((f, k) => ({ name: f, read: k, size: data[k].length }));
  m.plan({ tests: null, timings, store: null, granularity: 'file', workers: 64, roots: [] }, reader);
  parentPort.postMessage('done');
}
