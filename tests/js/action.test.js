// The built action (dist/index.js) run as the runner runs it: INPUT_* variables in, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files out. No cache service here, so every run also checks that a cache outage only costs
// balance: restore fails → warning → the split still covers every test.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commandLines, DIST_INDEX, removeTree, ROOT, runAction, runActionAsync, shellWords, shellWordsFromFile, tempTree } from './helpers.js';

const built = existsSync(DIST_INDEX) && existsSync(path.join(ROOT, 'dist', 'timeshard_bg.wasm.br'));
const skip = built ? false : 'dist/ is not built (npm run build)';

/** The example suite's test files, relative to the repository root. */
function exampleFiles() {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.test.mjs')) out.push(rel);
    }
  };
  walk('examples/node-suite/test');
  return out.sort();
}

/** A copy of the example suite in a temp workspace (the action writes nothing there, but tests stay isolated). */
function exampleWorkspace() {
  const dir = tempTree();
  cpSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'), { recursive: true });
  return dir;
}

test('split: example suite, committed timings, no cache service', { skip }, () => {
  const ws = exampleWorkspace();
  try {
    const run = runAction(
      {
        tests: 'examples/node-suite/test/**/*.test.mjs',
        timings: 'examples/node-suite/timings/junit.xml',
        workers: '4',
      },
      { cwd: ws },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const matrix = JSON.parse(run.outputs.matrix);
    assert.equal(matrix.include.length, 4);
    assert.deepEqual(matrix.include.map((e) => e.index), [1, 2, 3, 4]);
    const all = matrix.include.flatMap((e) => shellWords(e.tests));
    assert.deepEqual([...all].sort(), exampleFiles());
    assert.equal(new Set(all).size, all.length);
    assert.ok(all.includes('examples/node-suite/test/integration/checkout flow.test.mjs'));
    const plan = JSON.parse(run.outputs.plan);
    assert.equal(plan.workers, 4);
    assert.equal(plan.estimated_tests, 0, 'every file has a recorded time in the committed junit.xml');
    assert.equal(run.outputs.workers, '4');
    assert.equal(Number(run.outputs['predicted-seconds']), plan.predicted_seconds);
    assert.equal(run.outputs.select, 'false');
    // The committed timings sum to about 14 s; four workers can't beat the 2.2 s file.
    assert.ok(plan.predicted_seconds >= 2.2 && plan.predicted_seconds < 5, String(plan.predicted_seconds));
    // Cache outage: a warning, not a failure.
    const warnings = commandLines(run.stdout).filter((c) => c.command === 'warning');
    assert.ok(warnings.some((w) => /timing store not restored/i.test(w.line)), run.stdout);
    assert.equal(commandLines(run.stdout).some((c) => c.command === 'error'), false, run.stdout);
    // Summary: table, chart, lists.
    assert.match(run.summary, /## timeshard: 4 workers/);
    assert.match(run.summary, /```mermaid\ngantt/);
    assert.match(run.summary, /checkout flow\.test\.mjs/);
  } finally {
    removeTree(ws);
  }
});

test('split without any history: estimate-only split, still every file once', { skip }, () => {
  const ws = exampleWorkspace();
  try {
    const run = runAction({ tests: 'examples/node-suite/test/**/*.test.mjs', workers: '3' }, { cwd: ws });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const matrix = JSON.parse(run.outputs.matrix);
    const all = matrix.include.flatMap((e) => shellWords(e.tests));
    assert.deepEqual([...all].sort(), exampleFiles());
    const plan = JSON.parse(run.outputs.plan);
    assert.equal(plan.estimated_tests, plan.tests);
  } finally {
    removeTree(ws);
  }
});

test('split with workers: auto explains the choice', { skip }, () => {
  const ws = exampleWorkspace();
  try {
    const run = runAction(
      {
        tests: 'examples/node-suite/test/**/*.test.mjs',
        timings: 'examples/node-suite/timings/junit.xml',
        'target-seconds': '10',
        'job-overhead-seconds': '5',
      },
      { cwd: ws },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const plan = JSON.parse(run.outputs.plan);
    assert.ok(plan.auto, 'auto block present');
    assert.equal(plan.auto.target_seconds, 10);
    assert.match(run.summary, /`workers: auto` chose \*\*\d+\*\*/);
    assert.equal(JSON.parse(run.outputs.matrix).include.length, Number(run.outputs.workers));
  } finally {
    removeTree(ws);
  }
});

const NASTY = [
  'tests/test_x.py::test_a[1-2]',
  'tests/with space.py::test_b',
  "tests/it's.py::test_c",
  'tests/sub.py::test_$(touch pwned)',
  'tests/tick.py::test_`touch pwned`',
  'tests/pct.py::test_%0A::set-output name=x::y',
  'tests/line.py::test_a\\nb',
  'tests/ünï.py::test_ö',
];

test('split from a tests-file with hostile ids: matrix round-trips through sh, log stays clean', { skip }, () => {
  const ws = tempTree({
    'ids.txt': `${NASTY.join('\n')}\n::error::injected\n\n${NASTY.length + 1} tests collected in 0.01s\n`,
  });
  try {
    const run = runAction({ 'tests-file': 'ids.txt', granularity: 'test', workers: '3' }, { cwd: ws });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const matrix = JSON.parse(run.outputs.matrix);
    const all = matrix.include.flatMap((e) => shellWords(e.tests));
    assert.deepEqual([...all].sort(), [...NASTY, '::error::injected'].sort());
    assert.equal(existsSync(path.join(ws, 'pwned')), false);
    for (const c of commandLines(run.stdout)) {
      assert.ok(['warning', 'debug', 'group', 'endgroup'].includes(c.command), `unexpected command line: ${c.line}`);
    }
    assert.equal(run.summary.includes('`touch pwned`'), false, 'backticks of an id reached the summary unescaped');
    assert.ok(run.summary.includes('&#96;touch pwned&#96;'));
  } finally {
    removeTree(ws);
  }
});

test('input errors fail the step with a message naming the input', { skip }, () => {
  const ws = tempTree({ 'tests/a_test.py': 'x' });
  try {
    const cases = [
      [{ tests: 'tests/*.py', workers: '0' }, 'Input `workers`: expected a number from 1 to 256 or `auto`, got `0`'],
      [{ tests: 'nothing/*.py' }, 'Input `tests`: no file matched "nothing/*.py"'],
      [{ 'tests-file': 'missing.txt' }, 'Input `tests-file`: cannot read "missing.txt"'],
      [{ mode: 'select', index: '1', plan: '{"groups":[{"index":1,"tests":["a"]}]}', 'cache-key': 'bad key' }, 'Input `cache-key`'],
      [{ mode: 'select', index: '5', plan: '{"groups":[{"index":1,"tests":["a"]}]}' }, 'Input `index`: the plan has no worker 5 (it has 1)'],
    ];
    for (const [inputs, message] of cases) {
      const run = runAction(inputs, { cwd: ws });
      assert.equal(run.status, 1, `${JSON.stringify(inputs)}: ${run.stdout}`);
      const errors = commandLines(run.stdout).filter((c) => c.command === 'error');
      assert.equal(errors.length, 1, run.stdout);
      assert.ok(errors[0].line.includes(message), `${errors[0].line} should contain ${message}`);
    }
  } finally {
    removeTree(ws);
  }
});

test('select mode takes the tests from the plan input', { skip }, () => {
  const plan = { groups: [{ index: 1, tests: ['a.py'] }, { index: 2, tests: ['b c.py', 'd.py::t[1]'] }] };
  const run = runAction({ mode: 'select', index: '2', plan: JSON.stringify(plan) }, { cwd: ROOT });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.equal(run.outputs.tests, "'b c.py' 'd.py::t[1]'");
  assert.match(run.outputs['tests-file'], /timeshard-tests-2\.txt$/);
  assert.deepEqual(JSON.parse(run.outputs['tests-json']), ['b c.py', 'd.py::t[1]']);
  assert.equal(run.outputs.count, '2');
  assert.deepEqual(shellWords(run.outputs.tests), ['b c.py', 'd.py::t[1]']);
});

test('select mode without a plan and without a cache fails loudly', { skip }, () => {
  const run = runAction({ mode: 'select', index: '1' }, { cwd: ROOT });
  assert.equal(run.status, 1);
  assert.match(run.stdout, /::error::select mode found no plan for this run/);
});

test('plans too large for job outputs switch to select mode; without a cache that is a clear failure', { skip }, () => {
  // 14,000 ids of ~60 characters: matrix + plan ≈ 1.7 MB as GitHub counts (2 bytes per UTF-16 unit).
  const ids = Array.from({ length: 14000 }, (_, i) => `tests/package_${i % 50}/test_module_${i}.py::test_case_${i}`);
  const ws = tempTree({ 'ids.txt': ids.join('\n') });
  try {
    const run = runAction({ 'tests-file': 'ids.txt', granularity: 'test', workers: '8' }, { cwd: ws });
    assert.equal(run.status, 1, run.stdout);
    assert.match(run.stdout, /switching to select mode/);
    assert.match(run.stdout, /::error::the plan is too large for job outputs \(the matrix and plan need (at least )?\d+ bytes of job outputs.*\) and could not be saved/);
    assert.equal(run.outputs.matrix, undefined, 'no half-written matrix');
  } finally {
    removeTree(ws);
  }
});

test('record: reports in, store not saved without a cache, never a failure', { skip }, () => {
  const ws = exampleWorkspace();
  try {
    cpSync(path.join(ws, 'examples/node-suite/timings/junit.xml'), path.join(ws, 'reports/junit-1/junit.xml'));
    const run = runAction({ mode: 'record', reports: 'reports/**/*.xml' }, { cwd: ws });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.recorded !== undefined && Number(run.outputs.recorded) > 0, true, JSON.stringify(run.outputs));
    assert.equal(run.outputs.saved, 'false');
    assert.equal(run.outputs['store-key'], '');
    assert.match(run.stdout, /::warning::.*not saved/i);
    assert.match(run.summary, /## timeshard: recorded \d+ tests/);
    assert.match(run.summary, /\*\*Not saved\*\*/);
    // Nothing to record: still success.
    const none = runAction({ mode: 'record', reports: 'nothing/**/*.xml' }, { cwd: ws });
    assert.equal(none.status, 0, none.stdout);
    assert.equal(none.outputs.recorded, '0');
    assert.match(none.stdout, /::warning::no report matched/);
  } finally {
    removeTree(ws);
  }
});

test('record compares predicted and actual per worker when given the plan', { skip }, () => {
  const ws = exampleWorkspace();
  try {
    const split = runAction(
      { tests: 'examples/node-suite/test/**/*.test.mjs', timings: 'examples/node-suite/timings/junit.xml', workers: '2' },
      { cwd: ws },
    );
    assert.equal(split.status, 0, split.stdout);
    cpSync(path.join(ws, 'examples/node-suite/timings/junit.xml'), path.join(ws, 'reports/junit.xml'));
    const run = runAction({ mode: 'record', reports: 'reports/*.xml', plan: split.outputs.plan }, { cwd: ws });
    assert.equal(run.status, 0, run.stdout);
    assert.match(run.summary, /### Predicted and actual test time per worker/);
    const plan = JSON.parse(split.outputs.plan);
    // Same timings in and out: actual equals predicted for every worker.
    for (const g of plan.groups) {
      assert.match(run.stdout, new RegExp(`worker ${g.index}: predicted ${g.predicted_seconds.toFixed(1)} s, actual ${g.predicted_seconds.toFixed(1)} s`));
    }
  } finally {
    removeTree(ws);
  }
});

test('past the output limit with a cache: the plan goes to the cache, every worker selects its tests back', { skip }, async () => {
  const { startCacheServer } = await import('../cache-server/server.js');
  const server = await startCacheServer();
  const ids = Array.from({ length: 14000 }, (_, i) => `tests/package_${i % 50}/test_module_${i}.py::test_case_${i}`);
  const ws = tempTree({ 'ids.txt': ids.join('\n') });
  // The cache version hashes the local path, so every job of the run shares RUNNER_TEMP (as on hosted runners).
  const runnerTemp = tempTree();
  const env = { ...server.env(), GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '777', RUNNER_TEMP: runnerTemp };
  try {
    const split = await runActionAsync({ 'tests-file': 'ids.txt', granularity: 'test', workers: '5' }, { cwd: ws, env });
    assert.equal(split.status, 0, split.stdout + split.stderr);
    assert.equal(split.outputs.select, 'true');
    assert.match(split.stdout, /switching to select mode/);
    assert.match(split.stdout, /select mode: the plan is in the cache as timeshard-v1-default-plan-777-1/);
    const matrix = JSON.parse(split.outputs.matrix);
    assert.deepEqual(matrix.include, [1, 2, 3, 4, 5].map((index) => ({ index, select: true })));
    const stripped = JSON.parse(split.outputs.plan);
    assert.equal(stripped.stored_plan_key, 'timeshard-v1-default-plan-777-1');
    assert.ok(stripped.groups.every((g) => g.tests.length === 0));
    assert.ok(2 * (split.outputs.matrix.length + split.outputs.plan.length) < 100000);
    assert.match(split.summary, /\*\*Select mode:\*\*/);
    const seen = [];
    for (const { index } of matrix.include) {
      // Half the workers pass the stripped plan, half nothing: both find the cached plan of this run.
      const inputs = { mode: 'select', index: String(index), ...(index % 2 ? { plan: split.outputs.plan } : {}) };
      const worker = await runActionAsync(inputs, { cwd: ws, env: { ...env, GITHUB_RUN_ATTEMPT: index === 5 ? '2' : '1' } });
      assert.equal(worker.status, 0, worker.stdout + worker.stderr);
      const tests = JSON.parse(worker.outputs['tests-json']);
      assert.equal(Number(worker.outputs.count), tests.length);
      // ~150 KB of words: too long for `env: TESTS` (E2BIG), fine through the file.
      assert.ok(Buffer.byteLength(worker.outputs.tests) > 128 * 1024);
      assert.throws(() => shellWords(worker.outputs.tests), /E2BIG/);
      assert.deepEqual(shellWordsFromFile(worker.outputs['tests-file']), tests);
      assert.match(worker.stdout, /too long for one environment variable/);
      seen.push(...tests);
    }
    assert.equal(seen.length, ids.length);
    assert.deepEqual([...seen].sort(), [...ids].sort());
  } finally {
    await server.close();
    removeTree(ws);
    removeTree(runnerTemp);
  }
});

/**
 * Runs dist/index.js copied alone into a directory (no ../pkg/ next to it), with `wasmBr` as its
 * timeshard_bg.wasm.br (none when null), on the example suite with 3 workers: the engine cannot load, so the
 * last-resort splitter must still plan every test once, with a warning that matches `why`.
 */
function degradedRun(wasmBr, why) {
  const ws = exampleWorkspace();
  const lonely = tempTree();
  try {
    cpSync(DIST_INDEX, path.join(lonely, 'action', 'index.js'));
    cpSync(path.join(ROOT, 'dist', 'package.json'), path.join(lonely, 'action', 'package.json'));
    if (wasmBr !== null) writeFileSync(path.join(lonely, 'action', 'timeshard_bg.wasm.br'), wasmBr);
    const run = runAction(
      { tests: 'examples/node-suite/test/**/*.test.mjs', workers: '3' },
      { cwd: ws, script: path.join(lonely, 'action', 'index.js') },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, why);
    assert.match(run.stdout, /splitting by file size without the core/);
    const matrix = JSON.parse(run.outputs.matrix);
    assert.equal(matrix.include.length, 3);
    assert.deepEqual(matrix.include.flatMap((e) => shellWords(e.tests)).sort(), exampleFiles());
  } finally {
    removeTree(ws);
    removeTree(lonely);
  }
}

test('a bundle whose wasm is missing still plans every test once (last-resort splitter) and says so', { skip }, () => {
  degradedRun(null, /::warning::timeshard core, load: timeshard_bg\.wasm not found/);
});

test('a bundle whose compressed wasm is corrupt degrades the same way and names the file', { skip }, () => {
  // A truncated download: the .br file is there but does not inflate.
  const br = readFileSync(path.join(ROOT, 'dist', 'timeshard_bg.wasm.br'));
  degradedRun(br.subarray(0, br.length >> 1), /::warning::timeshard core, load: \S*timeshard_bg\.wasm\.br is not a brotli-compressed module/);
});
