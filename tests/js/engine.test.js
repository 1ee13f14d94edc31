// engine.js: the wasm door (from js/, loading ../pkg), error translation and the last-resort splitter.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../js/inputs.js';
import { checkCoverage } from '../../js/outputs.js';

const hasPkg = existsSync(new URL('../../pkg/timeshard_bg.wasm', import.meta.url));
const skip = hasPkg ? false : 'pkg/ is not built (npm run build:wasm)';
const engine = hasPkg ? await import('../../js/engine.js') : null;

const request = (over = {}) => ({
  tests: ['a.py', 'b.py', 'c.py', 'd.py'],
  sizes: [400, 300, 200, 100],
  timings: [],
  store: null,
  granularity: 'file',
  workers: 2,
  target_seconds: 300,
  job_overhead_seconds: 60,
  max_workers: 20,
  roots: [],
  ...over,
});

test('the core answers: version, plan, record', { skip }, () => {
  assert.match(engine.engineVersion(), /^\d+\.\d+\.\d+/);
  const plan = engine.plan(request());
  assert.equal(plan.workers, 2);
  assert.deepEqual(plan.groups.flatMap((g) => g.tests).sort(), ['a.py', 'b.py', 'c.py', 'd.py']);
  const junit = new TextEncoder().encode(
    '<testsuite><testcase file="a.py" classname="a" name="t" time="2.5"/></testsuite>',
  );
  const recorded = engine.record({ store: null, reports: [{ name: 'r.xml', data: junit }], roots: [], prune_after_runs: 30 });
  assert.ok(recorded.store instanceof Uint8Array, 'the store comes back as UTF-8 bytes');
  assert.equal(JSON.parse(new TextDecoder().decode(recorded.store)).format, 'timeshard-store');
  assert.equal(recorded.summary.runs, 1);
  const replanned = engine.plan(request({ store: recorded.store }));
  assert.equal(replanned.estimated_tests, 3);
});

test('group entries: discovered tests come back as given, coarser units as the core names them', { skip }, () => {
  // By file, the tests of a.py become the unit `a.py` (not discovered as such); b.py was discovered as a file; an id
  // whose file part the core normalises (`./c.py::t`) comes back as the core spells its unit.
  const tests = ['a.py::t1', 'a.py::t2', 'b.py', './c.py::t'];
  const byFile = engine.plan(request({ tests, sizes: [], workers: 3 }));
  assert.deepEqual(byFile.groups.flatMap((g) => g.tests).sort(), ['a.py', 'b.py', 'c.py']);
  const byTest = engine.plan(request({ tests, sizes: [], granularity: 'test', workers: 4 }));
  assert.deepEqual(byTest.groups.flatMap((g) => g.tests).sort(), ['a.py::t1', 'a.py::t2', 'b.py', 'c.py::t']);
  // Without discovered tests (the units of the timing data) the entries are the core's strings.
  const timings = [{ name: 'd.json', data: new TextEncoder().encode('{"x.py::a": 1, "y.py::b": 2}') }];
  const fromData = engine.plan(request({ tests: null, sizes: [], timings, granularity: 'test' }));
  assert.deepEqual(fromData.groups.flatMap((g) => g.tests).sort(), ['x.py::a', 'y.py::b']);
});

test('sizes left to sizesWhenNeeded: asked for only when the plan has tests without history or size', { skip }, () => {
  const sizes = [400, 300, 200, 100];
  let asked = 0;
  const lazy = (over) => request({ ...over, sizes: null, sizesWhenNeeded: () => ((asked += 1), sizes) });
  // No history: the sizes are asked for once, and the plan is the one made with them.
  assert.deepEqual(engine.plan(lazy({})), engine.plan(request({ sizes })));
  assert.equal(asked, 1);
  // History for the suite: never asked for; the plan is the one the sizes would have given too.
  const timings = [{ name: 'd.json', data: new TextEncoder().encode('{"a.py::t": 10, "c.py::t": 5}') }];
  asked = 0;
  assert.deepEqual(engine.plan(lazy({ timings })), engine.plan(request({ sizes, timings })));
  assert.equal(asked, 0);
  // The last-resort splitter weighs by them as well.
  assert.deepEqual(engine.fallbackPlan(lazy({})), engine.fallbackPlan(request({ sizes })));
});

test('timing files given by path are read into the core and plan exactly as the same bytes given inline', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-engine-'));
  try {
    // Two reports (one of them larger than a wasm page) and one JSON file.
    const cases = (file, n, secs) =>
      Array.from({ length: n }, (_, i) => `<testcase file="${file}" classname="${file.replace('.py', '')}" name="t${i}" time="${secs}"/>`).join('');
    const texts = {
      'r1.xml': `<testsuite>${cases('a.py', 1500, 0.5)}${cases('b.py', 3, 1)}</testsuite>`,
      'r2.xml': `<testsuite>${cases('c.py', 2, 7)}</testsuite>`,
      'd.json': '{"d.py::t": 3, "a.py::t1": 99}',
    };
    for (const [name, text] of Object.entries(texts)) writeFileSync(path.join(dir, name), text);
    assert.ok(texts['r1.xml'].length > 65536);
    const inline = Object.entries(texts).map(([name, text]) => ({ name, data: new TextEncoder().encode(text) }));
    const byPath = Object.keys(texts).map((name) => ({ name, path: path.join(dir, name) }));
    const a = engine.plan(request({ timings: inline }));
    const b = engine.plan(request({ timings: byPath }));
    assert.deepEqual(b, a);
    assert.equal(a.estimated_tests, 0);
    // A path that cannot be read is left out with a warning; the rest still counts.
    const missing = engine.plan(request({ timings: [...byPath, { name: 'gone.xml', path: path.join(dir, 'gone.xml') }] }));
    assert.match(missing.warnings[0], /^timing file "gone\.xml" could not be read: ENOENT/);
    assert.deepEqual(missing.groups, a.groups);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that grew past the size limit after it was matched is refused after reading just past the limit', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-engine-'));
  try {
    // 4 GiB, sparse: read whole, it would not fit in the module's memory at all ("do not fit").
    const big = path.join(dir, 'big.xml');
    writeFileSync(big, '<testsuite>');
    truncateSync(big, 4 * 1024 ** 3);
    const result = engine.plan(request({ timings: [{ name: 'big.xml', path: big, size: 100 }] }));
    assert.match(result.warnings.join('\n'), /big\.xml.*128 MiB/);
    assert.doesNotMatch(result.warnings.join('\n'), /do not fit/);
    assert.equal(result.groups.flatMap((g) => g.tests).length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file must come with its bytes: inline data, or an index for the reader passed with the request (a shim error)', { skip }, () => {
  for (const timing of [{ name: 'x.xml' }, { name: 'x.xml', read: 0 }, { name: 'x.xml', data: new Uint8Array(1), read: 0 }]) {
    assert.throws(
      () => engine.plan(request({ timings: [timing] })),
      (e) => e instanceof engine.EngineError && e.operation === 'plan' && /plan request: `x\.xml`/.test(e.message),
    );
  }
});

test('a store given by path is read by the core and plans and records exactly as the same bytes given inline', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-engine-'));
  try {
    const junit = new TextEncoder().encode(
      '<testsuite><testcase file="a.py" classname="a" name="t" time="9"/><testcase file="b.py" classname="b" name="t" time="1"/></testsuite>',
    );
    const made = engine.record({ store: null, reports: [{ name: 'r.xml', data: junit }], roots: [], prune_after_runs: 30 });
    const file = path.join(dir, 'store.json');
    writeFileSync(file, made.store);
    const byPath = { path: file, size: made.store.length };
    assert.deepEqual(engine.plan(request({ store: byPath })), engine.plan(request({ store: made.store })));
    assert.equal(engine.plan(request({ store: byPath })).estimated_tests, 2);
    const again = (store) => engine.record({ store, reports: [{ name: 'r.xml', data: junit }], roots: [], prune_after_runs: 30 });
    assert.deepEqual(again(byPath).store, again(made.store).store);
    assert.equal(JSON.parse(new TextDecoder().decode(again(byPath).store)).runs, 2);
    // A store over the store limit (4 GiB, sparse) is read to one byte past the limit, refused with a warning
    // naming the limit, and the plan goes on without it (read whole, it would not fit in the module's memory).
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, '{');
    truncateSync(huge, 4 * 1024 ** 3);
    const refused = engine.plan(request({ store: { path: huge, size: 100 } }));
    assert.match(refused.warnings.join('\n'), /timing store.*256 MiB/);
    assert.doesNotMatch(refused.warnings.join('\n'), /do not fit/);
    assert.equal(refused.estimated_tests, 4);
    // A store file that is gone: a warning naming it, and the plan and the record go on without it.
    const gone = { path: path.join(dir, 'gone.json'), size: 10 };
    const plan = engine.plan(request({ store: gone }));
    assert.match(plan.warnings[0], /^timing store ".*gone\.json" could not be read: ENOENT/);
    assert.equal(plan.estimated_tests, 4);
    const fresh = again(gone);
    assert.match(fresh.summary.warnings[0], /^timing store ".*gone\.json" could not be read: ENOENT/);
    assert.equal(fresh.summary.runs, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reports given by path are recorded and measured exactly as the same bytes given inline', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-engine-'));
  try {
    const text = '<testsuite><testcase file="a.py" classname="a" name="t" time="2.5"/>' +
      '<testcase file="b.py" classname="b" name="t" time="1"/></testsuite>';
    writeFileSync(path.join(dir, 'r.xml'), text);
    const inline = [{ name: 'r.xml', data: new TextEncoder().encode(text) }];
    const byPath = [{ name: 'r.xml', path: path.join(dir, 'r.xml') }];
    const rec = (reports) => engine.record({ store: null, reports, roots: [], prune_after_runs: 30 });
    assert.deepEqual(rec(byPath), rec(inline));
    const gone = rec([...byPath, { name: 'gone.xml', path: path.join(dir, 'gone.xml') }]);
    assert.match(gone.summary.warnings[0], /^report "gone\.xml" could not be read: ENOENT/);
    assert.deepEqual(gone.store, rec(inline).store);
    const measure = { groups: [['a.py'], ['b.py']], granularity: 'file' };
    const act = (reports) => engine.record({ store: null, reports, roots: [], prune_after_runs: 30, measure }).actuals;
    assert.deepEqual(act(byPath), act(inline));
    assert.deepEqual(act(byPath), [{ seconds: 2.5, missing: 0 }, { seconds: 1, missing: 0 }]);
    assert.equal(rec(inline).actuals, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('record measures each group of the plan the run executed, from the same reading of its reports', { skip }, () => {
  const junit = new TextEncoder().encode(
    '<testsuite>' +
      '<testcase file="a.py" classname="a" name="t1" time="1.5"/>' +
      '<testcase file="a.py" classname="a" name="t2" time="2"/>' +
      '<testcase file="b.py" classname="b" name="t" time="4"/>' +
      '</testsuite>',
  );
  const record = (measure) =>
    engine.record({ store: null, reports: [{ name: 'r.xml', data: junit }], roots: [], prune_after_runs: 30, measure });
  const result = record({ groups: [['a.py'], ['b.py', 'c.py']], granularity: 'file' });
  assert.equal(result.actuals.length, 2);
  assert.deepEqual(result.actuals[0], { seconds: 3.5, missing: 0 });
  // c.py ran but is in no report: estimated (from the other files) and counted as missing.
  assert.equal(result.actuals[1].missing, 1);
  assert.ok(result.actuals[1].seconds > 4 && Number.isFinite(result.actuals[1].seconds));
  assert.deepEqual(result.store, record(undefined).store);
  // A plan the core cannot read (unknown granularity) is not compared; the run is still recorded.
  const odd = record({ groups: [['a.py']], granularity: 'line' });
  assert.equal(odd.actuals, null);
  assert.deepEqual(odd.store, result.store);
  assert.match(odd.summary.warnings[0], /^the plan was not compared with the reports: .*granularity/);
});

test('core input errors become InputError naming the input', { skip }, () => {
  assert.throws(
    () => engine.plan(request({ workers: 0 })),
    (error) => error instanceof InputError && error.input === 'workers',
  );
});

test('translateError: input errors vs engine errors', { skip }, () => {
  const input = engine.translateError('plan', new Error('input `granularity`: expected file, suite or test'));
  assert.ok(input instanceof InputError);
  assert.equal(input.message, 'Input `granularity`: expected file, suite or test');
  const other = engine.translateError('record', new Error('store: version 9 is newer than this timeshard'));
  assert.ok(other instanceof engine.EngineError);
  assert.equal(other.message, 'timeshard core, record: store: version 9 is newer than this timeshard');
  assert.equal(engine.translateError('plan', 'a string').coreMessage, 'a string');
});

test('planDegrading: a timing file the core rejects costs balance, not the plan', { skip }, () => {
  const garbage = { name: 'timings.bin', data: new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x02]) };
  const { plan, warnings } = engine.planDegrading(request({ timings: [garbage] }));
  assert.deepEqual(plan.groups.flatMap((g) => g.tests).sort(), ['a.py', 'b.py', 'c.py', 'd.py']);
  // Either the core warns about the file itself, or the shim planned again without it and says so.
  assert.ok(
    warnings.length > 0 || (plan.warnings ?? []).some((w) => w.includes('timings.bin')),
    JSON.stringify({ warnings, planWarnings: plan.warnings }),
  );
});

test('fallbackPlan: every id once as given, largest first, valid plan shape', { skip }, () => {
  const plan = engine.fallbackPlan(
    request({
      tests: ['a.py::t1', 'a.py::t2', 'b.py::t', 'c.py', 'd.py', 'my_crate::integration', 'c.py'],
      sizes: [50, 50, 300, null, 100, null, null],
      workers: 2,
    }),
  );
  assert.equal(plan.workers, 2);
  assert.deepEqual(plan.groups.map((g) => g.index), [1, 2]);
  // Ids are never cut at `::` (a nextest binary id stays whole); a repeated id runs once.
  assert.deepEqual(
    plan.groups.flatMap((g) => g.tests).sort(),
    ['a.py::t1', 'a.py::t2', 'b.py::t', 'c.py', 'd.py', 'my_crate::integration'],
  );
  // b.py::t (300) is the heaviest: it goes first, onto worker 1.
  assert.equal(plan.groups[0].tests.includes('b.py::t'), true);
  assert.equal(plan.estimated_tests, 6);
  assert.ok(plan.predicted_seconds >= plan.lower_bound_seconds - 1e-9);
  assert.equal(plan.auto, null);
  const auto = engine.fallbackPlan(request({ workers: 'auto', max_workers: 3 }));
  assert.equal(auto.workers, 3);
  assert.ok(auto.auto.reason.includes('could not run'));
  // An id inside another listed id runs with it, once (a.py::t with a.py, b.py::C::t with b.py::C).
  const nested = engine.fallbackPlan(
    request({ tests: ['a.py::t', 'a.py', 'b.py::C::t', 'b.py::C', 'c.py::t'], sizes: [null, null, 10, 20, null], workers: 2 }),
  );
  assert.deepEqual(nested.groups.flatMap((g) => g.tests).sort(), ['a.py', 'b.py::C', 'c.py::t']);
  assert.deepEqual(checkCoverage(nested, ['a.py::t', 'a.py', 'b.py::C::t', 'b.py::C', 'c.py::t']), []);
  const tiny = engine.fallbackPlan(request({ tests: ['only.py'], sizes: [null], workers: 8 }));
  assert.equal(tiny.workers, 1);
  assert.deepEqual(tiny.groups[0].tests, ['only.py']);
});
