// Matrix strings through a real shell, the output-size switch, the invariant guard and log-line safety.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  checkCoverage,
  optionLikeWarning,
  fitOutputs,
  inlineMatrix,
  logLine,
  logSafe,
  selectMatrix,
  shellJoin,
  shellQuote,
  strippedPlan,
  textTable,
  utf16Bytes,
} from '../../js/outputs.js';

const canary = path.join(mkdtempSync(path.join(tmpdir(), 'timeshard-canary-')), 'pwned');

const NASTY = [
  'tests/test_plain.py',
  'tests/test_x.py::test_a[1-2]',
  'tests/with space.py',
  "tests/it's.py::test_quote",
  'tests/dq".py',
  `tests/sub.py::test_$(touch ${canary})`,
  `tests/tick.py::test_\`touch ${canary}\``,
  'tests/dollar.py::test_$HOME',
  'tests/multi.py::test_line\nsecond line',
  'tests/pct.py::test_%0A::set-output name=x::y',
  '::set-output name=matrix::{}',
  '::error::boom',
  'tests/glob*.py',
  'tests/semi.py;rm -rf x',
  'tests/pipe|amp&.py',
  'tests/backslash\\n.py',
  'tests/tilde~.py',
  '~/home.py',
  '-rf',
  '--help',
  'tests/ünïcödé.py::test_ök',
  'tests/tab\there.py',
  '',
  "''",
  "'\\''",
];

/** Runs the documented worker pattern in `shell` with TESTS in the environment; returns the argv it got. */
function throughShell(shell, tests) {
  const script = 'eval "set -- $TESTS"; for a in "$@"; do printf "%s\\0" "$a"; done';
  const out = execFileSync(shell, ['-c', script], { env: { PATH: process.env.PATH, TESTS: tests }, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = out.toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\0');
}

test('shellQuote leaves safe ids alone and single-quotes the rest', () => {
  const cases = [
    ['tests/a_b-c.py', 'tests/a_b-c.py'],
    ['pkg::Test@v1:x=y%z+w,v', 'pkg::Test@v1:x=y%z+w,v'],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['t[1]', "'t[1]'"],
    ['', "''"],
    ['$x', "'$x'"],
  ];
  for (const [id, quoted] of cases) assert.equal(shellQuote(id), quoted, id);
});

for (const shell of ['sh', 'bash', 'dash']) {
  const available = (() => {
    try {
      execFileSync(shell, ['-c', 'true'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  test(`eval "set -- $TESTS" gives back every id exactly, in ${shell}`, { skip: !available && `${shell} missing` }, () => {
    const got = throughShell(shell, shellJoin(NASTY));
    assert.deepEqual(got, NASTY);
    assert.equal(existsSync(canary), false, 'a command substitution inside an id ran');
    assert.deepEqual(throughShell(shell, shellJoin([])), []);
    for (const id of NASTY) assert.deepEqual(throughShell(shell, shellJoin([id])), [id], JSON.stringify(id));
  });
}

test('the naive `runner $TESTS` keeps quotes: why the docs use eval', () => {
  const out = execFileSync('sh', ['-c', 'for a in $TESTS; do printf "%s\\0" "$a"; done'], {
    env: { PATH: process.env.PATH, TESTS: shellJoin(['plain.py', 'a b.py']) },
  });
  assert.deepEqual(out.toString().slice(0, -1).split('\0'), ['plain.py', "'a", "b.py'"]);
});

test.after(() => rmSync(path.dirname(canary), { recursive: true, force: true }));

const plan = (groups) => ({
  version: 1,
  workers: groups.length,
  requested_workers: groups.length,
  granularity: 'file',
  tests: groups.flat().length,
  estimated_tests: 0,
  lower_bound_seconds: 10,
  predicted_seconds: 12,
  total_seconds: 20,
  job_overhead_seconds: 60,
  predicted_wall_seconds: 72,
  job_seconds: 140,
  groups: groups.map((tests, i) => ({ index: i + 1, tests, predicted_seconds: 10 + i, estimated_tests: 0 })),
  candidates: [],
  auto: null,
  warnings: [],
});

test('matrix: one entry per non-empty group, tests as shell words', () => {
  const p = plan([['a.py', 'b c.py'], ['d.py'], []]);
  assert.deepEqual(inlineMatrix(p), {
    include: [
      { index: 1, tests: "a.py 'b c.py'" },
      { index: 2, tests: 'd.py' },
    ],
  });
  assert.deepEqual(selectMatrix(p), { include: [{ index: 1, select: true }, { index: 2, select: true }] });
  const stripped = strippedPlan(p, 'key-1');
  assert.equal(stripped.stored_plan_key, 'key-1');
  assert.deepEqual(stripped.groups.map((g) => g.tests), [[], [], []]);
  assert.equal(stripped.predicted_seconds, p.predicted_seconds);
});

test('outputs switch to select mode past the job-output limit (UTF-16 sized)', () => {
  const small = plan([['a.py'], ['b.py']]);
  const fit = fitOutputs(small);
  assert.equal(fit.select, false);
  assert.equal(fit.matrix, JSON.stringify(inlineMatrix(small)));
  assert.equal(fit.planJson, JSON.stringify(small));
  assert.equal(fit.bytes, utf16Bytes(fit.matrix) + utf16Bytes(fit.planJson));
  // 2 bytes per UTF-16 code unit: a non-BMP character is 2 code units, 4 bytes.
  assert.equal(utf16Bytes('a😀'), 6);
  const ids = Array.from({ length: 6000 }, (_, i) => `tests/module_${i}/test_something_rather_long_${i}.py`);
  const big = plan([ids.slice(0, 3000), ids.slice(3000)]);
  const switched = fitOutputs(big);
  assert.equal(switched.select, true);
  assert.ok(switched.bytes > switched.limit);
  // Decided from a lower bound, without building the outputs: never above what they would take.
  assert.match(switched.reason, /^the matrix and plan need at least \d+ bytes of job outputs/);
  const exactBig = utf16Bytes(JSON.stringify(inlineMatrix(big))) + utf16Bytes(JSON.stringify(big));
  assert.ok(switched.bytes <= exactBig, `${switched.bytes} <= ${exactBig}`);
  // A limit between the lower bound and the real size: the real size decides, measured.
  const quoted = plan([["it's.py", 'a b.py'], ['c.py']]);
  const bound = fitOutputs(quoted, 0).bytes;
  const between = fitOutputs(quoted, bound);
  assert.equal(between.select, true);
  assert.match(between.reason, /^the matrix and plan need \d+ bytes/);
  assert.ok(between.bytes > bound);
  // Exactly at the limit still fits; one code unit more does not.
  const exact = fitOutputs(small, fit.bytes);
  assert.equal(exact.select, false);
  assert.equal(fitOutputs(small, fit.bytes - 2).select, true);
});

test('outputs switch to select mode when one list is too long for an environment variable', () => {
  // One worker with 3,000 ids of ~47 bytes: ~140 KB, over 128 KiB; matrix + plan ≈ 2 × 2 × 140 KB, under 1 MB.
  const ids = Array.from({ length: 3000 }, (_, i) => `tests/test_module_${i}.py::test_something_${i}`);
  const p = plan([ids, ['a.py'], ['b.py']]);
  const fit = fitOutputs(p);
  assert.equal(fit.select, true);
  assert.match(fit.reason, /one worker's test list is \d+ bytes, over the 130048 one environment variable can pass/);
  assert.equal(fitOutputs(p, undefined, 10 * 1024 * 1024).select, false);
});

test('invariant guard: every discovered test exactly once', () => {
  const ok = [
    [plan([['a.py'], ['b.py']]), ['a.py', 'b.py']],
    [plan([['a.py'], ['b.py::T']]), ['a.py::t1', 'a.py::t2', 'b.py::T::x', 'b.py::T::y']],
    [plan([['a.py::t1'], ['a.py::t2']]), ['a.py::t1', 'a.py::t2']],
  ];
  for (const [p, discovered] of ok) assert.deepEqual(checkCoverage(p, discovered), []);
  const bad = [
    [plan([['a.py'], ['a.py']]), ['a.py'], /"a.py" is in worker 1 and worker 2/],
    [plan([['a.py'], []]), ['a.py', 'b.py'], /"b.py" is in no worker/],
    [plan([['a.py'], ['c.py']]), ['a.py'], /"c.py" was not discovered/],
    [plan([['a.py'], ['a.py::t1']]), ['a.py::t1'], /"a.py::t1" is covered 2 times/],
  ];
  for (const [p, discovered, pattern] of bad) {
    const problems = checkCoverage(p, discovered);
    assert.ok(problems.some((m) => pattern.test(m)), `${problems.join(' | ')} should match ${pattern}`);
  }
});

/** The guard in its plain form (every prefix of every id looked up, a set of used entries): the reference. */
function plainCoverage(p, discovered) {
  const problems = [];
  const owner = new Map();
  for (const group of p.groups) {
    for (const entry of group.tests) {
      if (owner.has(entry)) problems.push(`${JSON.stringify(entry)} is in worker ${owner.get(entry)} and worker ${group.index}`);
      else owner.set(entry, group.index);
    }
  }
  const used = new Set();
  for (const id of discovered) {
    const covering = [];
    if (owner.has(id)) covering.push(id);
    for (let cut = id.indexOf('::'); cut !== -1; cut = id.indexOf('::', cut + 2)) {
      if (owner.has(id.slice(0, cut))) covering.push(id.slice(0, cut));
    }
    if (covering.length === 0) problems.push(`${JSON.stringify(id)} is in no worker`);
    if (covering.length > 1) problems.push(`${JSON.stringify(id)} is covered ${covering.length} times`);
    for (const entry of covering) used.add(entry);
  }
  for (const entry of owner.keys()) if (!used.has(entry)) problems.push(`${JSON.stringify(entry)} was not discovered`);
  return problems;
}

test('invariant guard: the same problems as the plain form, on random plans', () => {
  // Ids over a small alphabet with `:` (so `::`, `:::` and nesting are common), split into random groups, some
  // entries repeated, some ids cut to a prefix, some dropped, some added.
  let seed = 7;
  const next = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const word = () => Array.from({ length: 1 + next(6) }, () => 'ab:/'[next(4)]).join('');
  let cases = 0;
  let withProblems = 0;
  for (let round = 0; round < 3000; round += 1) {
    const discovered = [...new Set(Array.from({ length: 1 + next(8) }, word))];
    const entries = discovered.flatMap((id) => {
      const r = next(10);
      if (r === 0) return [];
      if (r === 1) return [id, id];
      if (r === 2 && id.includes('::')) return [id.slice(0, id.indexOf('::'))];
      return [id];
    });
    if (next(4) === 0) entries.push(word());
    const groups = Array.from({ length: 1 + next(3) }, () => []);
    for (const e of entries) groups[next(groups.length)].push(e);
    const p = plan(groups);
    const got = checkCoverage(p, discovered);
    assert.deepEqual(got, plainCoverage(p, discovered), JSON.stringify({ groups, discovered }));
    cases += 1;
    if (got.length > 0) withProblems += 1;
  }
  assert.ok(withProblems > cases / 4 && withProblems < cases, `${withProblems} of ${cases} plans had problems`);
});

test('entries that look like options are warned about, never changed', () => {
  assert.equal(optionLikeWarning(plan([['a.py'], ['b-c.py']])), null);
  const one = optionLikeWarning(plan([['a.py'], ['-rf.py']]));
  assert.match(one, /^1 test entry starts with `-` \("-rf\.py"\): a test runner may read it as an option; put `--`/);
  const many = optionLikeWarning(plan([['-a', '-b'], ['-c', '-d', 'e']]));
  assert.match(many, /^4 test entries start with `-` \("-a", "-b", "-c", …\): .* read them as an option/);
});

test('log lines never start a workflow command', () => {
  for (const id of NASTY) {
    const line = logLine('  - ', id);
    assert.equal(line.includes('\n'), false, JSON.stringify(line));
    assert.equal(line.includes('\r'), false);
    assert.ok(line.startsWith('  - '));
    assert.equal(/^::/m.test(line), false);
  }
  assert.equal(logSafe('a\nb\r\tc\u0000\u2028'), 'a\\nb\\r\\tc\\u0000\\u2028');
});

test('text table shows every worker with a bar and no ids', () => {
  const table = textTable(plan([['secret-id-a.py'], ['secret-id-b.py']]));
  const lines = table.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^2 workers \(fixed\), granularity file, 2 tests/);
  assert.match(lines[2], /^ +1 +1 +0 +10\.0 s +█+/);
  assert.match(lines[3], /^ +2 +1 +0 +11\.0 s +█+$/);
  assert.match(lines[4], /lower bound 10\.0 s, slowest worker 12\.0 s \(20\.0 % over\)/);
  assert.equal(table.includes('secret-id'), false);
});
