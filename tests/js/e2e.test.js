// End to end: three consecutive CI "runs" of the example suite (examples/node-suite), each a plan job → worker jobs
// → record job, driven entirely by the BUILT action (dist/index.js) on Node 24 as a child process, with the real
// @actions/cache inside the bundle talking to the loopback cache service (tests/cache-server/).
//
//   run 1  cold: no timing store in the cache → the split is an estimate; the workers run their files for real and
//          write JUnit reports; the record job stores the measured times.
//   run 2  the split restores run 1's store: its predicted per-worker loads must be within 15 % of the per-worker
//          sums measured from run 2's own JUnit reports.
//   run 3  restores run 2's store (the newest): the measured imbalance (max/mean of the per-worker sums) is no worse
//          than run 2's by more than a small tolerance.
//   every run: each test of the suite runs exactly once (the union of the workers' JUnit cases equals the suite's
//          full list, taken from one reference run of every file), and no worker fails.
// Only ratios are asserted (the machine is shared); the test durations are sleeps, so CPU load barely moves them.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCacheServer } from '../cache-server/server.js';
import { actionStep, annotations, fileSeconds, readJUnit, ROOT, run, shellWords, workerJob, NODE24 } from './e2e/ci.js';

// TIMESHARD_DIST_DIR runs the test against a build elsewhere (e.g. a fresh bundle before it is committed).
const DIST_DIR = path.resolve(process.env.TIMESHARD_DIST_DIR || path.join(ROOT, 'dist'));
const DIST_INDEX = path.join(DIST_DIR, 'index.js');
const built = existsSync(DIST_INDEX) && existsSync(path.join(DIST_DIR, 'timeshard_bg.wasm.br'));
const skip = built ? false : `${DIST_DIR} is not built (npm run build)`;

const SUITE = 'examples/node-suite';
const TESTS_GLOB = `${SUITE}/test/**/*.test.mjs`;
const REPORTER = `./${SUITE}/reporters/junit-files.mjs`;
const WORKERS = 4;
const CACHE_KEY = 'e2e-node-suite';
/** Largest relative gap between a worker's predicted and measured load in runs 2 and 3. */
const PREDICTION_TOLERANCE = 0.15;
/** How much worse run 3's max/mean imbalance may be than run 2's (absolute, on the ratio). */
const IMBALANCE_TOLERANCE = 0.05;

let root;
let server;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'timeshard-e2e-'));
  server = await startCacheServer();
});

after(async () => {
  await server?.close();
  if (root) {
    rmSync(root, { recursive: true, force: true });
  }
});

/** The suite's test files relative to the workspace, sorted. */
function suiteFiles(ws) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(ws, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.name.endsWith('.test.mjs')) {
        out.push(child);
      }
    }
  };
  walk(`${SUITE}/test`);
  return out.sort();
}

const caseId = (c) => `${c.file}\u0000${c.name}`;

/** One CI run: plan job, worker jobs (in parallel), record job. Returns what the assertions need. */
async function ciRun(ws, runId) {
  const runnerTemp = path.join(root, 'runner', 'temp'); // the same path on every runner, emptied per job
  const env = { ...server.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_REF: 'refs/heads/main' };
  const logStart = server.log.length;

  const plan = await actionStep(
    DIST_INDEX,
    { mode: 'split', tests: TESTS_GLOB, workers: String(WORKERS), 'cache-key': CACHE_KEY },
    { cwd: ws, runnerTemp, env },
  );
  assert.equal(plan.status, 0, `plan job of run ${runId} failed:\n${plan.stdout}\n${plan.stderr}`);
  const matrix = JSON.parse(plan.outputs.matrix);
  const planJson = JSON.parse(plan.outputs.plan);
  assert.equal(matrix.include.length, WORKERS);
  assert.equal(plan.outputs.select, 'false');

  const reports = path.join(ws, 'reports');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const workers = await Promise.all(
    matrix.include.map(async (entry) => {
      const files = await shellWords(entry.tests);
      const report = path.join(reports, `junit-${entry.index}.xml`);
      const job = await workerJob(entry.tests, { cwd: ws, report, reporter: REPORTER });
      assert.equal(job.status, 0, `worker ${entry.index} of run ${runId} failed:\n${job.stdout}\n${job.stderr}`);
      const junit = readJUnit(report);
      const measured = [...junit.files.values()].reduce((sum, f) => sum + fileSeconds(f), 0);
      const group = planJson.groups.find((g) => g.index === entry.index);
      return { index: entry.index, files, junit, measured, predicted: group.predicted_seconds };
    }),
  );

  const record = await actionStep(
    DIST_INDEX,
    { mode: 'record', reports: 'reports/*.xml', 'cache-key': CACHE_KEY, plan: plan.outputs.plan },
    { cwd: ws, runnerTemp, env },
  );
  assert.equal(record.status, 0, `record job of run ${runId} failed:\n${record.stdout}\n${record.stderr}`);

  const loads = workers.map((w) => w.measured);
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  return {
    plan,
    planJson,
    workers,
    record,
    imbalance: Math.max(...loads) / mean,
    requests: server.log.slice(logStart),
  };
}

const options = { skip, timeout: 600_000 };

test('three CI runs: a cold split, then splits from the cached timings that predict and balance', options, async () => {
  const ws = path.join(root, 'workspace');
  mkdirSync(ws, { recursive: true });
  cpSync(path.join(ROOT, SUITE), path.join(ws, SUITE), { recursive: true });
  const allFiles = suiteFiles(ws);
  assert.ok(allFiles.length >= WORKERS * 2, `the example suite has ${allFiles.length} files`);

  // The full list of test cases: one reference run of every file.
  const referenceReport = path.join(root, 'reference.xml');
  const reporterArgs = [`--test-reporter=${REPORTER}`, `--test-reporter-destination=${referenceReport}`];
  const reference = await run(NODE24, ['--test', '--test-concurrency=4', ...reporterArgs, ...allFiles], {
    cwd: ws,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  assert.equal(reference.status, 0, reference.stdout + reference.stderr);
  const fullList = readJUnit(referenceReport).cases.map(caseId).sort();
  assert.equal(new Set(fullList).size, fullList.length, 'case ids are unique within the suite');
  assert.deepEqual([...new Set(readJUnit(referenceReport).cases.map((c) => c.file))].sort(), allFiles);

  const runs = [];
  for (const runId of [101, 102, 103]) {
    const r = await ciRun(ws, runId);
    runs.push(r);

    // Every test exactly once: the workers' lists partition the files, and their JUnit cases are the full list.
    const listed = r.workers.flatMap((w) => w.files);
    assert.deepEqual([...listed].sort(), allFiles, `run ${runId}: the matrix lists every file exactly once`);
    assert.ok(r.workers.every((w) => w.files.length > 0), `run ${runId}: no empty worker`);
    const ran = r.workers.flatMap((w) => w.junit.cases.map(caseId)).sort();
    assert.deepEqual(ran, fullList, `run ${runId}: the union of the workers' JUnit cases is the full list`);
    assert.ok(r.workers.every((w) => w.junit.cases.every((c) => !c.failed)));

    // The cache is a quiet, best-effort helper: no error annotations, and the record job saved the store.
    for (const step of [r.plan, r.record]) {
      assert.deepEqual(annotations(step.stdout).filter((a) => a.command === 'error'), []);
      assert.ok(!/not (restored from|saved to) the cache/.test(step.stdout), step.stdout);
    }
    assert.equal(r.record.outputs.saved, 'true', r.record.stdout);
    assert.match(r.record.outputs['store-key'], new RegExp(`^timeshard-v1-${CACHE_KEY}-${runId}-1-[0-9a-f]{8}$`));
    assert.ok(Number(r.record.outputs.recorded) > 0);
    assert.ok(r.plan.summary.length > 0 && r.record.summary.length > 0, 'both jobs wrote a step summary');
  }

  const [cold, second, third] = runs;
  const lookups = (r) => r.requests.filter((l) => l.op === 'GetCacheEntryDownloadURL').map((l) => l.matchedKey);
  // Run 1: nothing in the cache for its plan job (a miss, not a warning), every duration estimated.
  assert.equal(lookups(cold)[0], null);
  assert.equal(cold.planJson.estimated_tests, allFiles.length);
  // Runs 2 and 3: the plan job restores the store the previous record job saved (the newest one).
  assert.equal(lookups(second)[0], cold.record.outputs['store-key']);
  assert.equal(lookups(third)[0], second.record.outputs['store-key']);
  for (const r of [second, third]) {
    assert.equal(r.planJson.estimated_tests, 0, 'every file has a recorded time');
    for (const w of r.workers) {
      const gap = Math.abs(w.predicted - w.measured) / w.measured;
      assert.ok(
        gap <= PREDICTION_TOLERANCE,
        `worker ${w.index}: predicted ${w.predicted.toFixed(3)} s, measured ${w.measured.toFixed(3)} s ` +
          `(${(gap * 100).toFixed(1)} % apart)`,
      );
    }
  }
  assert.ok(
    third.imbalance <= second.imbalance + IMBALANCE_TOLERANCE,
    `imbalance (max/mean) run 2 ${second.imbalance.toFixed(3)}, run 3 ${third.imbalance.toFixed(3)}`,
  );
  // The numbers, for the log.
  for (const [i, r] of runs.entries()) {
    const loads = r.workers.map((w) => `${w.measured.toFixed(2)}/${w.predicted.toFixed(2)}`).join(' ');
    console.log(`# run ${i + 1}: measured/predicted s per worker: ${loads}; max/mean ${r.imbalance.toFixed(3)}`);
  }
});
