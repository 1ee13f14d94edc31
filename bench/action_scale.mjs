// The action itself (dist/index.js) on the scale suite, its split step and then its record step: every test file
// (by file) or every test id (by test) of bench/out/scale given as `tests-file`, the 8 JUnit reports as `timings`
// and then as the run's `reports`, 64 workers, with the loopback cache service of the tests (tests/cache-server/)
// so that select mode can save the plan and record can save the store. Prints each step's status, wall time and
// the sizes of the outputs it set. A check for slow spots in the action's own code on a
// suite this size (what bench/run.py times is the CLI); run python3 bench/run.py --only speed once before.
//
//   node bench/action_scale.mjs [RUNS] [DIST_INDEX]   (Node 24: .tools/node24/node_modules/node/bin/node)
import path from 'node:path';
import { startCacheServer } from '../tests/cache-server/server.js';
import { runActionAsync } from '../tests/js/helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 2);
// Another build's dist/index.js (e.g. from `git archive REV dist`) to compare with.
const script = process.argv[3] ? path.resolve(process.argv[3]) : undefined;
const server = await startCacheServer();
try {
  for (const [granularity, list] of [
    ['file', 'bench/out/speed/files.txt'],
    ['test', 'bench/out/speed/tests.txt'],
  ]) {
    for (let run = 1; run <= runs; run += 1) {
      const env = { ...server.env(), GITHUB_RUN_ID: String(100 + run), GITHUB_RUN_ATTEMPT: '1' };
      const inputs = {
        'tests-file': list,
        timings: 'bench/out/scale/junit/*.xml',
        workers: '64',
        granularity,
        'cache-key': `scale-${granularity}`,
      };
      // The split step, then the record step of the same run (it finds the plan the split saved and measures its
      // groups while it merges the reports into the store).
      for (const [step, stepInputs] of [
        ['split', inputs],
        ['record', { mode: 'record', reports: inputs.timings, 'cache-key': inputs['cache-key'] }],
      ]) {
        const start = performance.now();
        const r = await runActionAsync(stepInputs, { cwd: root, node: process.execPath, env, ...(script && { script }) });
        const ms = (performance.now() - start).toFixed(0);
        const outputs = Object.entries(r.outputs).map(([k, v]) => `${k} ${v.length} B`).join(', ');
        console.log(`${granularity} run ${run} ${step}: exit ${r.status}, ${ms} ms; outputs: ${outputs}`);
        for (const line of r.stdout.split('\n')) {
          if (/^::(warning|error)|^parse threads:/.test(line)) console.log(`  ${line.slice(0, 300)}`);
        }
      }
    }
  }
} finally {
  await server.close();
}
