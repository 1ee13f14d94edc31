// parse-threads.js (with parse-worker.js and the core's parse_report): reports parsed in worker threads give the
// plans and stores the main thread gives alone, whoever parses which report; a thread that fails changes nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';
import { brotliDecompressSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileReader } from '../../js/file-reader.js';
import { threadCount, startParseThreads } from '../../js/parse-threads.js';
import { ROOT, runCli } from './helpers.js';

const hasPkg = existsSync(new URL('../../pkg/timeshard_bg.wasm', import.meta.url));
const skip = hasPkg ? false : 'pkg/ is not built (npm run build:wasm)';
const distSkip = existsSync(path.join(ROOT, 'dist', 'parse-worker.js')) ? false : 'dist/ is not built';
const engine = hasPkg ? await import('../../js/engine.js') : null;

/** Runs `fn` with TIMESHARD_PARSE_THREADS set to `value` (undefined: unset). */
async function withThreads(value, fn) {
  const before = process.env.TIMESHARD_PARSE_THREADS;
  if (value === undefined) delete process.env.TIMESHARD_PARSE_THREADS;
  else process.env.TIMESHARD_PARSE_THREADS = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TIMESHARD_PARSE_THREADS;
    else process.env.TIMESHARD_PARSE_THREADS = before;
  }
}

/** Waits until `pool` has finished `n` reports (a thread's start takes tens of milliseconds). */
async function finished(pool, n) {
  const until = Date.now() + 20_000;
  while (pool.done() < n) {
    if (Date.now() > until) throw new Error(`threads finished ${pool.done()} of ${n} reports`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A generated JUnit report of `n` cases. */
function generated(n, seed) {
  const cases = Array.from({ length: n }, (_, i) =>
    `<testcase classname="pkg.mod_${(i + seed) % 40}" file="pkg/mod_${(i + seed) % 40}.py" name="test_${i}_${seed}[é]" time="0.${i % 97}"/>`);
  return `<testsuites><testsuite name="s${seed}">${cases.join('\n')}</testsuite></testsuites>`;
}

/** Real reports of real tools (tests/fixtures/junit) after `large` large generated ones, another generated one, a
 * JSON file and a broken report. The large ones come first: the main thread is still parsing them when the threads
 * have started and take the others from the end. */
function reports(dir, large = 0) {
  const fixtures = path.join(ROOT, 'tests', 'fixtures', 'junit');
  const files = [];
  for (let k = 0; k < large; k += 1) {
    const name = `large-${k}.xml`;
    writeFileSync(path.join(dir, name), generated(20_000, k));
    files.push({ name, path: path.join(dir, name) });
  }
  const tools = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const tool of tools.sort()) {
    const sub = path.join(fixtures, tool);
    for (const f of readdirSync(sub).sort()) files.push({ name: `${tool}/${f}`, path: path.join(sub, f) });
  }
  const extra = {
    'big.xml': generated(3000, 1000),
    // Ids under the workspace root: the roots reach the threads.
    'durations.json': JSON.stringify({ 'pkg/mod_1.py::test_1_1000[é]': 99, [`${ROOT}/other/t.py::x`]: 2.5 }),
    'broken.xml': '<testsuite><testcase name="cut" time="1"',
  };
  for (const [name, text] of Object.entries(extra)) {
    writeFileSync(path.join(dir, name), text);
    files.push({ name, path: path.join(dir, name) });
  }
  return files.map((f) => ({ ...f, size: readFileSync(f.path).length }));
}

const planRequest = (timings, over = {}) => ({
  tests: null,
  sizes: null,
  timings,
  store: null,
  granularity: 'test',
  workers: 4,
  target_seconds: 300,
  job_overhead_seconds: 60,
  max_workers: 20,
  roots: [ROOT],
  ...over,
});

test('threadCount: none for one report or when turned off; forced counts; automatic only for large reports', () => {
  const files = (n, size) => Array.from({ length: n }, () => ({ size }));
  assert.equal(threadCount(files(1, 1e9), {}), 0);
  assert.equal(threadCount(files(8, 1e9), { TIMESHARD_PARSE_THREADS: '0' }), 0);
  assert.equal(threadCount(files(8, 10), { TIMESHARD_PARSE_THREADS: '2' }), 2);
  assert.equal(threadCount(files(3, 10), { TIMESHARD_PARSE_THREADS: '5' }), 2, 'never more than one fewer than the reports');
  assert.equal(threadCount(files(8, 1e9), { TIMESHARD_PARSE_THREADS: 'many' }), 0, 'a value that is not a count: none');
  assert.equal(threadCount(files(8, 1000), {}), 0, 'small reports: the main thread is done before a thread starts');
  const auto = threadCount(files(8, 6e6), {});
  assert.ok(auto >= 0 && auto <= 3, String(auto));
});

test('plans and records are the same with threads, whoever parses which report', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-threads-'));
  try {
    const files = reports(dir);
    assert.ok(files.length >= 10, String(files.length));
    const alone = await withThreads('0', () => ({
      byTest: engine.plan(planRequest(files)),
      byFile: engine.plan(planRequest(files, { granularity: 'file', workers: 3 })),
      record: engine.record({ store: null, reports: files, roots: [ROOT], prune_after_runs: 30 }),
    }));
    assert.ok(alone.byTest.tests > 3000, String(alone.byTest.tests));
    assert.ok(alone.byTest.warnings.some((w) => w.includes('broken.xml')), 'the broken report is named');
    await withThreads('2', async () => {
      // Every report parsed by the threads before the core asks (parseAhead, then waiting for them).
      const ahead = engine.parseAhead(files, [ROOT]);
      assert.ok(ahead, 'threads started');
      await finished(ahead, files.length);
      assert.deepEqual(engine.plan(planRequest(files, { parseAhead: ahead })), alone.byTest);
      assert.equal(ahead.handed(), files.length, 'the core took every report parsed');
      // Threads racing the main thread (started with the core call).
      assert.deepEqual(engine.plan(planRequest(files, { granularity: 'file', workers: 3 })), alone.byFile);
      const recordAhead = engine.parseAhead(files, [ROOT]);
      await finished(recordAhead, files.length);
      const recorded = engine.record({ store: null, reports: files, roots: [ROOT], prune_after_runs: 30, parseAhead: recordAhead });
      assert.deepEqual(recorded.summary, alone.record.summary);
      assert.deepEqual(Buffer.from(recorded.store), Buffer.from(alone.record.store));
      assert.ok(recordAhead.handed() > 0);
      // A pool started for other files is not used: its reports would be the wrong ones.
      const other = engine.parseAhead(files.slice(1), [ROOT]);
      await finished(other, files.length - 1);
      assert.deepEqual(engine.plan(planRequest(files, { parseAhead: other })), alone.byTest);
      assert.equal(other.handed(), 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a report a thread cannot read or parse is read and parsed by the main thread', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-threads-'));
  try {
    const files = reports(dir);
    const gone = { name: 'gone.xml', path: path.join(dir, 'gone.xml'), size: 100 };
    const alone = await withThreads('0', () => engine.plan(planRequest([...files, gone])));
    assert.match(alone.warnings[0], /^timing file "gone\.xml" could not be read: ENOENT/);
    await withThreads('1', async () => {
      const ahead = engine.parseAhead([...files, gone], [ROOT]);
      await finished(ahead, files.length + 1);
      // Not readable in the thread either: the main thread's own warning, and nothing else.
      assert.deepEqual(engine.plan(planRequest([...files, gone], { parseAhead: ahead })), alone);
    });
    // A thread whose module cannot instantiate answers with its failure; the main thread parses every report.
    engine.loadEngine();
    const broken = startParseThreads(files, [ROOT], new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), {
      TIMESHARD_PARSE_THREADS: '1',
    });
    await finished(broken, 1);
    assert.equal(broken.take(0), null);
    const last = broken.take(files.length - 1);
    assert.equal(last, null);
    assert.match(broken.notes.join('\n'), /: parse thread: .*; parsed here/);
    broken.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a parsed form the core cannot decode is parsed again from the file, with a warning', { skip }, async () => {
  engine.loadEngine();
  const wasm = await import('../../pkg/timeshard.js');
  const { memory } = wasm.initSync();
  const text = new TextEncoder().encode('{"a.py::t": 2, "b.py::t": 3}');
  const garbage = new TextEncoder().encode('TSPR\u0001\u0000 not a parsed report');
  const reader = {
    parsed: () => garbage.length,
    readParsed: (i, ptr, len) => {
      new Uint8Array(memory.buffer, ptr, len).set(garbage.subarray(0, len));
      return len;
    },
    size: () => text.length,
    read: (i, ptr, len) => {
      new Uint8Array(memory.buffer, ptr, len).set(text.subarray(0, len));
      return len;
    },
  };
  const request = planRequest([{ name: 'd.json', read: 0, size: text.length }], { roots: [] });
  const { plan } = JSON.parse(wasm.plan(request, reader));
  assert.match(plan.warnings[0], /"d\.json": its parse in a worker thread was unreadable \(.*\); parsed again here/);
  const direct = engine.plan(planRequest([{ name: 'd.json', data: text }], { roots: [] }));
  assert.deepEqual(plan.groups, direct.groups);
  assert.equal(plan.tests, 2);
});

test('dist/cli.js: the same plan and store with threads forced and without', { skip: distSkip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-threads-'));
  try {
    const files = reports(dir, 3);
    const env = (n) => ({ ...process.env, TIMESHARD_PARSE_THREADS: n });
    const args = ['split', '--json', '--workers', '5', '--granularity', 'test', ...files.flatMap((f) => ['--timings', f.path])];
    const alone = runCli(args, { env: env('0') });
    const threaded = runCli(args, { env: env('2') });
    assert.equal(alone.status, 0, alone.stderr);
    assert.equal(threaded.stdout, alone.stdout);
    assert.equal(threaded.stderr, alone.stderr);
    const record = (n) => {
      const store = path.join(dir, `store-${n}.json`);
      const run = runCli(['record', '--store', store, ...files.map((f) => f.path)], { env: env(n) });
      assert.equal(run.status, 0, run.stderr);
      return readFileSync(store);
    };
    assert.deepEqual(record('2'), record('0'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dist/parse-worker.js (the bundled thread) parses each report exactly as the core does', { skip: skip || distSkip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-threads-'));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(ROOT, 'dist', 'parse-worker.js'));
  try {
    const files = reports(dir);
    const module = new WebAssembly.Module(brotliDecompressSync(readFileSync(path.join(ROOT, 'dist', 'timeshard_bg.wasm.br'))));
    const state = new Int32Array(new SharedArrayBuffer(4 * files.length));
    const answers = new Map();
    const all = new Promise((resolve, reject) => {
      worker.once('error', reject);
      port1.on('message', (m) => {
        answers.set(m.i, m);
        if (answers.size === files.length) resolve();
      });
    });
    worker.postMessage({ module, roots: [ROOT], state, port: port2, files }, [port2]);
    await all;
    engine.loadEngine();
    const { initSync, parse_report: parseReport } = await import('../../pkg/timeshard.js');
    // The instance the engine loaded (initSync gives it back), read through the same kind of reader.
    const { memory } = initSync({ module });
    const here = fileReader(files.map((f) => f.path), memory, (i, error) => assert.fail(`${files[i].name}: ${error.message}`));
    files.forEach((f, i) => {
      const answer = answers.get(i);
      assert.ok(answer.bytes instanceof Uint8Array, `${f.name}: ${answer.error}`);
      assert.deepEqual(Buffer.from(answer.bytes), Buffer.from(parseReport(f.name, i, here, [ROOT])), f.name);
      assert.equal(Atomics.load(state, i), 3, 'marked done');
    });
  } finally {
    port1.close();
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
});
