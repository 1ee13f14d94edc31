// dist/cli.js: the documented commands, their output and exit codes (0 ok, 2 usage/input error).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DIST_CLI, removeTree, ROOT, runCli, tempTree } from './helpers.js';

const skip = existsSync(DIST_CLI) && existsSync(path.join(ROOT, 'dist', 'timeshard_bg.wasm.br')) ? false : 'dist/ is not built';
const JUNIT = 'examples/node-suite/timings/junit.xml';
const GLOB = 'examples/node-suite/test/**/*.test.mjs';

test('split prints a table: one row per worker with a bar', { skip }, () => {
  const run = runCli(['split', '--workers', '4', '--timings', JUNIT, GLOB]);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^4 workers \(fixed\), granularity file, 24 tests \(0 estimated\)$/);
  assert.match(lines[1], /worker +tests +estimated +predicted/);
  const rows = lines.slice(2, 6);
  for (const [i, row] of rows.entries()) assert.match(row, new RegExp(`^ +${i + 1} +\\d+ +0 +\\d+\\.\\d s +█+`));
  assert.match(lines[6], /lower bound \d+\.\d s, slowest worker \d+\.\d s/);
  assert.equal(run.stdout.includes('::'), false, 'no workflow commands on a terminal');
});

test('split --json prints the plan', { skip }, () => {
  const run = runCli(['split', '--workers', '3', '--timings', JUNIT, GLOB, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const plan = JSON.parse(run.stdout);
  assert.equal(plan.workers, 3);
  for (const key of ['lower_bound_seconds', 'predicted_seconds', 'total_seconds']) assert.equal(typeof plan[key], 'number');
  assert.equal(plan.groups.length, 3);
  const files = plan.groups.flatMap((g) => g.tests);
  assert.equal(files.length, 24);
  assert.equal(new Set(files).size, 24);
  for (const g of plan.groups) {
    assert.equal(typeof g.index, 'number');
    assert.equal(typeof g.predicted_seconds, 'number');
  }
  assert.ok(plan.predicted_seconds >= plan.lower_bound_seconds);
  assert.ok(Math.abs(plan.total_seconds - 13.9) < 1, String(plan.total_seconds));
});

test('split without tests takes them from the timing data', { skip }, () => {
  const run = runCli(['split', '--workers', '2', '--timings', JUNIT, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const plan = JSON.parse(run.stdout);
  assert.equal(plan.groups.flatMap((g) => g.tests).length, 24);
});

test('split --list shows each worker\'s tests, prefixed', { skip }, () => {
  const run = runCli(['split', '--workers', '2', '--timings', JUNIT, GLOB, '--list']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /\nworker 1:\n {2}- examples\/node-suite\/test\//);
  assert.match(run.stdout, / {2}- examples\/node-suite\/test\/integration\/checkout flow\.test\.mjs\n/);
});

test('record writes a store that split then uses', { skip }, () => {
  const dir = tempTree();
  try {
    const store = path.join(dir, 'store.json');
    const first = runCli(['record', '--store', store, JUNIT]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^recorded 76 tests from 1 reports into .*store\.json: \d+ tests over 1 runs/);
    assert.ok(existsSync(store));
    const second = runCli(['record', '--store', store, '--out', path.join(dir, 'next.json'), JUNIT, '--json']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).runs, 2);
    assert.equal(JSON.parse(readFileSync(store, 'utf8')) !== null, true);
    const split = runCli(['split', '--workers', '4', '--store', path.join(dir, 'next.json'), GLOB, '--json']);
    assert.equal(split.status, 0, split.stderr);
    const plan = JSON.parse(split.stdout);
    assert.equal(plan.estimated_tests, 0);
    assert.equal(plan.tests, 24);
  } finally {
    removeTree(dir);
  }
});

test('record makes the store\'s directory, and names the option when it cannot', { skip }, () => {
  const dir = tempTree({ 'afile': 'x' });
  try {
    const nested = path.join(dir, 'new', 'deeper', 'store.json');
    const made = runCli(['record', '--store', nested, JUNIT]);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(JSON.parse(readFileSync(nested, 'utf8')).runs, 1);
    // Its directory would have to be a directory where a file is: said before the reports are read, exit 2.
    const blocked = path.join(dir, 'afile', 'store.json');
    const out = runCli(['record', '--store', nested, '--out', blocked, JUNIT]);
    assert.equal(out.status, 2, out.stderr);
    assert.match(out.stderr, /^timeshard: --out ".*afile\/store\.json": cannot create its directory \((EEXIST|ENOTDIR)\)/);
    const store = runCli(['record', '--store', blocked, JUNIT]);
    assert.equal(store.status, 2, store.stderr);
    assert.match(store.stderr, /^timeshard: --store ".*afile\/store\.json": cannot create its directory/);
    // A directory where the store file should be: the write fails, and says so with the option's name.
    const onDir = runCli(['record', '--store', nested, '--out', path.join(dir, 'new'), JUNIT]);
    assert.equal(onDir.status, 1, onDir.stderr);
    assert.match(onDir.stderr, /^timeshard: --out ".*new": the store could not be written \(EISDIR\)/);
  } finally {
    removeTree(dir);
  }
});

test('output far longer than a pipe holds arrives whole, and warnings with it', { skip }, () => {
  // ~3 MB of plan JSON against a 64 KiB pipe buffer, and a warning on stderr for the bad entry.
  const durations = { 'tests/bad_test.py::test_negative': -1 };
  for (let i = 0; i < 20000; i++) durations[`tests/pkg_${i % 97}/test_module_${i % 1013}.py::test_case_number_${i}`] = (i % 13) / 10;
  const dir = tempTree({ '.test_durations': JSON.stringify(durations) });
  try {
    const run = runCli(['split', '--workers', '8', '--granularity', 'test', '--timings', path.join(dir, '.test_durations'), '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.length > 1 << 20, String(run.stdout.length));
    const tests = JSON.parse(run.stdout).groups.flatMap((g) => g.tests);
    assert.equal(tests.length, 20000);
    assert.equal(new Set(tests).size, 20000);
    assert.match(run.stderr, /test_negative/);
  } finally {
    removeTree(dir);
  }
});

test('a reader that closes the pipe early (| head) ends the CLI quietly', { skip }, async () => {
  const durations = {};
  for (let i = 0; i < 20000; i++) durations[`tests/test_module_${i % 1013}.py::test_case_number_${i}`] = 1 + (i % 7);
  const dir = tempTree({ '.test_durations': JSON.stringify(durations) });
  try {
    const args = ['split', '--workers', '8', '--granularity', 'test', '--timings', path.join(dir, '.test_durations'), '--json'];
    const child = spawn(process.execPath, [DIST_CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    // The first chunk of the plan, then the read end is closed, as `head` does after its lines.
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.equal(stderr, '');
    assert.equal(signal, null);
    assert.equal(code, 0);
  } finally {
    removeTree(dir);
  }
});

test('a list with a file and tests inside it runs each test once, with a warning', { skip }, () => {
  const dir = tempTree({ 'ids.txt': 'a.py::t\na.py\nb.py::C::t\nb.py::C\nc.py::t\n' });
  try {
    for (const granularity of ['test', 'suite', 'file']) {
      const run = runCli(['split', '--tests-file', 'ids.txt', '--granularity', granularity, '--workers', '2', '--json'], { cwd: dir });
      assert.equal(run.status, 0, `${granularity}: ${run.stderr}`);
      const entries = JSON.parse(run.stdout).groups.flatMap((g) => g.tests).sort();
      const want = granularity === 'file' ? ['a.py', 'b.py', 'c.py'] : ['a.py', 'b.py::C', 'c.py::t'];
      assert.deepEqual(entries, want, granularity);
      // By suite, b.py::C::t is part of the unit b.py::C anyway; by file, everything is part of its file.
      const inside = { test: /warning: 2 listed tests are inside another listed test or file \(first: a\.py::t inside a\.py\)/,
        suite: /warning: 1 listed test is inside another listed test or file \(first: a\.py::t inside a\.py\); it runs once/ };
      if (inside[granularity]) assert.match(run.stderr, inside[granularity]);
      else assert.doesNotMatch(run.stderr, /inside another|more than once/);
    }
  } finally {
    removeTree(dir);
  }
});

test('usage and input errors exit with 2 and say what is wrong', { skip }, () => {
  const cases = [
    [['split', '--workers', '0', GLOB], /--workers: expected a number from 1 to 256 or `auto`, got `0`/],
    [['split', '--granularity', 'method', GLOB], /--granularity: expected one of `file`, `suite`, `test`, got `method`/],
    [['split', '--max-workers', '999', GLOB], /--max-workers: expected a whole number from 1 to 256/],
    [['split', '--bogus'], /Unknown option '--bogus'/],
    [['split', 'nothing/**/*.test.mjs'], /no test file matched "nothing\/\*\*\/\*\.test\.mjs"/],
    [['split', '--timings', 'missing.xml', GLOB], /--timings "missing.xml": no such file/],
    [['split', '--store', 'missing.json', GLOB], /--store "missing.json": no such file/],
    [['split', '--tests-file', 'x.txt', GLOB], /either test globs or --tests-file/],
    [['split'], /no tests: give test globs, --tests-file, or timing data/],
    [['record', JUNIT], /record needs --store STORE/],
    [['record', '--store', '/tmp/timeshard-never.json'], /record needs at least one REPORT/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /Usage:/],
  ];
  for (const [args, pattern] of cases) {
    const run = runCli(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr + run.stdout, pattern, args.join(' '));
  }
  const help = runCli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /timeshard split \[options\] \[GLOB\.\.\.\]/);
  const version = runCli(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^timeshard \S+/);
});

test('the CLI runs on Node 20 too', { skip }, () => {
  let node20 = null;
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      if (execFileSync(candidate, ['--version'], { encoding: 'utf8' }).startsWith('v20.')) node20 = candidate;
    } catch {
      // not there
    }
  }
  if (node20 === null) return;
  const run = runCli(['split', '--workers', '2', '--timings', JUNIT, GLOB, '--json'], { node: node20 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).workers, 2);
});
