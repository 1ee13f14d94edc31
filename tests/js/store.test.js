// js/store.js against the real @actions/cache client (and the Azure SDK it uses) talking to the loopback cache
// service in tests/cache-server/ — no mocking of the client. Timing assertions are ratios to the configured bounds.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as cache from '@actions/cache';
import { BlobClient, BlockBlobClient } from '@azure/storage-blob';
import { READ, SERVICE, startCacheServer } from '../cache-server/server.js';
import * as store from '../../js/store.js';

const ENV_NAMES = [
  'ACTIONS_CACHE_SERVICE_V2',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_MODE',
  'GITHUB_SERVER_URL',
  'GITHUB_WORKSPACE',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'RUNNER_TEMP',
  'SEGMENT_DOWNLOAD_TIMEOUT_MINS',
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'ALL_PROXY',
  'NO_PROXY',
  'no_proxy',
];
const savedEnv = Object.fromEntries(ENV_NAMES.map((n) => [n, process.env[n]]));
let root;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'timeshard-store-test-'));
});

after(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) {
      delete process.env[name];
    } else {
      process.env[name] = value;
    }
  }
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;

// A fresh server and a fresh "runner" (RUNNER_TEMP, workspace) with the cache env of that server. Returns the server.
async function setup(t, serverOptions = {}, envOptions = {}) {
  const server = await startCacheServer(serverOptions);
  t.after(() => server.close());
  const runner = path.join(root, `runner-${++dirs}`);
  await mkdir(path.join(runner, 'temp'), { recursive: true });
  await mkdir(path.join(runner, 'work', 'repo'), { recursive: true });
  for (const name of ENV_NAMES) {
    delete process.env[name];
  }
  Object.assign(process.env, server.env(envOptions), {
    RUNNER_TEMP: path.join(runner, 'temp'),
    GITHUB_WORKSPACE: path.join(runner, 'work', 'repo'),
  });
  return server;
}

function setToken(server, scopes) {
  process.env.ACTIONS_RUNTIME_TOKEN = server.token({ scopes });
}

const text = (bytes) => Buffer.from(bytes).toString('utf8');

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

async function eventually(predicate, ms) {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > ms) {
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('round trips', () => {
  for (const blobStyle of ['loopback', 'azure']) {
    test(`save then restore returns the same bytes (${blobStyle} blob URLs)`, async (t) => {
      const server = await setup(t, { blobStyle });
      const json = JSON.stringify({ version: 1, tests: { 'a.py': [1.5] } });
      const saved = await store.saveStore({ scope: 'suite', runId: 7, attempt: 1, json });
      assert.deepEqual(saved.warnings, []);
      assert.equal(saved.saved, true);
      assert.match(saved.key, /^timeshard-v1-suite-7-1-[0-9a-f]{8}$/);
      const restored = await store.restoreStore({ scope: 'suite' });
      assert.deepEqual(restored.warnings, []);
      assert.equal(restored.key, saved.key);
      assert.equal(text(restored.bytes), json);
      assert.ok(restored.bytes instanceof Uint8Array);
      const ops = server.log.map((l) => l.op);
      const download = blobStyle === 'azure' ? ['GetBlobProperties', 'GetBlob'] : ['GetBlob'];
      const save = ['CreateCacheEntry', 'PutBlob', 'FinalizeCacheEntryUpload'];
      assert.deepEqual(ops, [...save, 'GetCacheEntryDownloadURL', ...download]);
      const ok = server.log.every((l) => l.status === 200 || l.status === 201 || l.status === 206);
      assert.ok(ok, JSON.stringify(server.log));
      assert.equal(server.entries()[0].state, 'finalized');
    });
  }

  test('with read: false the restore gives the restored file, for the core to read', async (t) => {
    await setup(t);
    const json = JSON.stringify({ version: 1, tests: { 'a.py': [2.5] } });
    const saved = await store.saveStore({ scope: 'suite', runId: 1, attempt: 1, json });
    assert.equal(saved.saved, true, saved.warnings.join());
    const restored = await store.restoreStore({ scope: 'suite', read: false });
    assert.deepEqual(restored.warnings, []);
    assert.equal(restored.key, saved.key);
    assert.equal(restored.bytes, null);
    assert.equal(restored.file.path, store.storeNames({ scope: 'suite' }).storePath);
    assert.equal(restored.file.size, Buffer.byteLength(json));
    assert.equal(readFileSync(restored.file.path, 'utf8'), json);
    // A miss gives no file.
    const miss = await store.restoreStore({ scope: 'other', read: false });
    assert.deepEqual(miss, { bytes: null, file: null, key: null, warnings: [] });
  });

  test('the restore picks the newest store of its own scope only', async (t) => {
    const server = await setup(t);
    for (const run of [1, 2, 3]) {
      const r = await store.saveStore({ scope: 'suite', runId: run, attempt: 1, json: `{"run":${run}}` });
      assert.equal(r.saved, true, r.warnings.join());
    }
    // A longer scope whose keys start with the shorter scope's prefix, saved last: must not leak into `suite`.
    const other = await store.saveStore({ scope: 'suite-b', runId: 4, attempt: 1, json: '{"run":"b"}' });
    assert.equal(other.saved, true);
    assert.ok(other.key.startsWith(store.storeNames({ scope: 'suite' }).prefix));
    const restored = await store.restoreStore({ scope: 'suite' });
    assert.equal(text(restored.bytes), '{"run":3}');
    assert.match(restored.key, /^timeshard-v1-suite-3-1-/);
    const b = await store.restoreStore({ scope: 'suite-b' });
    assert.equal(text(b.bytes), '{"run":"b"}');
    assert.equal(server.count('GetCacheEntryDownloadURL'), 2);
  });

  test('a miss is silent: no bytes, no key, no warning', async (t) => {
    const server = await setup(t);
    const restored = await store.restoreStore({ scope: 'empty' });
    assert.deepEqual(restored, { bytes: null, key: null, warnings: [] });
    assert.deepEqual(
      server.log.map((l) => [l.op, l.status, l.matchedKey]),
      [['GetCacheEntryDownloadURL', 200, null]],
    );
  });

  test('a different path is a different cache version: no match', async (t) => {
    await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    const elsewhere = path.join(process.env.RUNNER_TEMP, 'elsewhere', 'store.json');
    const restored = await store.restoreStore({ scope: 's', path: elsewhere });
    assert.deepEqual(restored, { bytes: null, key: null, warnings: [] });
  });

  test('bytes that are not a store come back as they are (the core judges them)', async (t) => {
    await setup(t);
    const junk = 'this is not a timing store {';
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: junk })).saved, true);
    const restored = await store.restoreStore({ scope: 's' });
    assert.equal(text(restored.bytes), junk);
    assert.deepEqual(restored.warnings, []);
  });

  test('an archive that extracts somewhere else is reported unreadable', async (t) => {
    await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    // The archive's entries are relative to GITHUB_WORKSPACE; a job with another workspace depth extracts elsewhere.
    process.env.GITHUB_WORKSPACE = path.join(process.env.GITHUB_WORKSPACE, 'nested', 'deeper');
    await mkdir(process.env.GITHUB_WORKSPACE, { recursive: true });
    const restored = await store.restoreStore({ scope: 's' });
    assert.equal(restored.bytes, null);
    assert.match(restored.key, /^timeshard-v1-s-1-1-/);
    assert.equal(restored.warnings.length, 1);
    assert.match(
      restored.warnings[0],
      /timing store from cache key `timeshard-v1-s-1-1-[0-9a-f]+` is unreadable: .*starting without timing history/,
    );
  });

  test('two saves racing in one run both succeed under distinct keys, each with its own content', async (t) => {
    const server = await setup(t);
    const [a, b] = await Promise.all([
      store.saveStore({ scope: 's', runId: 9, attempt: 2, json: '{"shard":"a"}' }),
      store.saveStore({ scope: 's', runId: 9, attempt: 2, json: '{"shard":"b"}' }),
    ]);
    assert.equal(a.saved && b.saved, true, [...a.warnings, ...b.warnings].join());
    assert.notEqual(a.key, b.key);
    assert.ok(a.key.startsWith('timeshard-v1-s-9-2-') && b.key.startsWith('timeshard-v1-s-9-2-'));
    assert.equal(server.entries().length, 2);
    const file = store.storeNames({ scope: 's' }).storePath;
    for (const [saved, content] of [
      [a, '{"shard":"a"}'],
      [b, '{"shard":"b"}'],
    ]) {
      await rm(file, { force: true });
      assert.equal(await cache.restoreCache([file], saved.key), saved.key);
      assert.equal(await readFile(file, 'utf8'), content);
    }
  });

  test('plans: saved per run and attempt, found by a later attempt, invisible to the store restore', async (t) => {
    const server = await setup(t);
    const plan = JSON.stringify({ version: 1, workers: 2, groups: [] });
    const saved = await store.savePlan({ scope: 's', runId: 41, attempt: 1, json: plan });
    assert.deepEqual([saved.saved, saved.key, saved.warnings], [true, 'timeshard-v1-s-plan-41-1', []]);
    const same = await store.restorePlan({ scope: 's', runId: 41, attempt: 1 });
    assert.equal(text(same.bytes), plan);
    const rerun = await store.restorePlan({ scope: 's', runId: 41, attempt: 2 });
    assert.deepEqual([text(rerun.bytes), rerun.key, rerun.warnings], [plan, 'timeshard-v1-s-plan-41-1', []]);
    const otherRun = await store.restorePlan({ scope: 's', runId: 4, attempt: 1 });
    assert.equal(otherRun.bytes, null);
    const asStore = await store.restoreStore({ scope: 's' });
    assert.deepEqual(asStore, { bytes: null, key: null, warnings: [] });
    // The same plan key twice: the service refuses (immutable keys), the second save says so.
    const again = await store.savePlan({ scope: 's', runId: 41, attempt: 1, json: plan });
    assert.equal(again.saved, false);
    assert.match(again.warnings[0], /^plan not saved to the cache \(key `timeshard-v1-s-plan-41-1`\): Unable to/);
    assert.equal(server.count('CreateCacheEntry', 409), 1);
  });

  test('run id and attempt default to GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT', async (t) => {
    await setup(t);
    process.env.GITHUB_RUN_ID = '555';
    process.env.GITHUB_RUN_ATTEMPT = '3';
    const saved = await store.saveStore({ scope: 'x', json: '{}' });
    assert.match(saved.key, /^timeshard-v1-x-555-3-[0-9a-f]{8}$/);
  });

  test('scopes with commas, spaces or great length still make valid keys', async (t) => {
    await setup(t);
    for (const scope of ['a, b c', 'x'.repeat(600), '   ']) {
      const saved = await store.saveStore({ scope, runId: 1, attempt: 1, json: '{}' });
      assert.equal(saved.saved, true, saved.warnings.join());
      assert.ok(saved.key.length <= 512 && !saved.key.includes(','), saved.key);
      const restored = await store.restoreStore({ scope });
      assert.equal(restored.key, saved.key);
    }
    assert.equal(store.storeNames({ scope: '' }).prefix, 'timeshard-v1-default-');
  });
});

describe('branch scopes (the token decides what a run may read and write)', () => {
  test('a feature branch reads the default branch until it has its own entry; main never sees it', async (t) => {
    const server = await setup(t);
    const main = [{ scope: 'refs/heads/main', permission: 'rw' }];
    const feature = [
      { scope: 'refs/heads/feature', permission: 'rw' },
      { scope: 'refs/heads/main', permission: 'r' },
    ];
    setToken(server, main);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '"main"' })).saved, true);
    setToken(server, feature);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '"main"');
    assert.equal((await store.saveStore({ scope: 's', runId: 2, attempt: 1, json: '"feature"' })).saved, true);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '"feature"');
    setToken(server, main);
    assert.equal((await store.saveStore({ scope: 's', runId: 3, attempt: 1, json: '"main 2"' })).saved, true);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '"main 2"');
    setToken(server, feature);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '"feature"', 'own branch first');
    assert.deepEqual(
      server.entries().map((e) => e.scope),
      ['refs/heads/main', 'refs/heads/feature', 'refs/heads/main'],
    );
  });
});

describe('denied, disabled and unavailable cache', () => {
  test('write denied by the token: not saved, one warning; reads still work', async (t) => {
    const server = await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{"a":1}' })).saved, true);
    setToken(server, [{ scope: 'refs/heads/main', permission: 'r' }]);
    const saved = await store.saveStore({ scope: 's', runId: 2, attempt: 1, json: '{"a":2}' });
    assert.equal(saved.saved, false);
    assert.equal(saved.warnings.length, 1);
    assert.match(saved.warnings[0], /^timing store not saved to the cache \(key `timeshard-v1-s-2-1-\w+`\): /);
    assert.match(saved.warnings[0], /: cache write denied: the token for this run is read-only; the next run plans/);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '{"a":1}');
    assert.equal(server.entries().length, 1);
  });

  test('a read-only service (write denied for everyone)', async (t) => {
    const server = await setup(t);
    server.readOnly = true;
    const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' });
    assert.equal(saved.saved, false);
    assert.match(saved.warnings[0], /cache write denied/);
    assert.deepEqual(server.log.map((l) => [l.op, l.status, l.denied]), [['CreateCacheEntry', 200, true]]);
  });

  test('ACTIONS_CACHE_MODE=read: the client skips the save, we warn; restore works', async (t) => {
    const server = await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '"kept"' })).saved, true);
    process.env.ACTIONS_CACHE_MODE = 'read';
    const saved = await store.saveStore({ scope: 's', runId: 2, attempt: 1, json: '"lost"' });
    assert.equal(saved.saved, false);
    assert.match(saved.warnings[0], /the cache is read-only for this job \(Cache save skipped: .*'read'/);
    assert.equal(text((await store.restoreStore({ scope: 's' })).bytes), '"kept"');
    assert.equal(server.count('CreateCacheEntry'), 1);
  });

  test('ACTIONS_CACHE_MODE=none and write-only: restore skipped with a warning, no request', async (t) => {
    const server = await setup(t);
    for (const mode of ['none', 'write-only']) {
      process.env.ACTIONS_CACHE_MODE = mode;
      const restored = await store.restoreStore({ scope: 's' });
      assert.equal(restored.bytes, null);
      assert.match(restored.warnings[0], new RegExp(`cache reads are disabled for this job .*'${mode}'`));
    }
    assert.equal(server.log.length, 0);
  });

  test('read denied by the service: warning, no bytes', async (t) => {
    const server = await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    setToken(server, [{ scope: 'refs/heads/main', permission: 'w' }]);
    const restored = await store.restoreStore({ scope: 's' });
    assert.equal(restored.bytes, null);
    assert.match(restored.warnings[0], /cache read denied:/);
    assert.equal(server.count('GetCacheEntryDownloadURL', 403), 1);
  });

  test('no ACTIONS_RUNTIME_TOKEN: warnings, nothing sent', async (t) => {
    const server = await setup(t);
    delete process.env.ACTIONS_RUNTIME_TOKEN;
    const restored = await store.restoreStore({ scope: 's' });
    const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' });
    assert.match(restored.warnings[0], /ACTIONS_RUNTIME_TOKEN is not set/);
    assert.match(saved.warnings[0], /ACTIONS_RUNTIME_TOKEN is not set/);
    assert.equal(saved.saved, false);
    assert.equal(server.log.length, 0);
  });

  test('a token the service does not accept: warnings from the 401', async (t) => {
    const server = await setup(t);
    process.env.ACTIONS_RUNTIME_TOKEN = 'not.a.token';
    const restored = await store.restoreStore({ scope: 's' });
    assert.match(restored.warnings[0], /\(401\) Unauthorized: invalid token signature/);
    const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' });
    assert.equal(saved.saved, false);
    assert.equal(saved.warnings.length, 1);
    assert.equal(server.count('CreateCacheEntry', 401), 1);
  });

  test('no cache service at all: warnings, nothing attempted', async (t) => {
    const server = await setup(t);
    delete process.env.ACTIONS_RESULTS_URL;
    const restored = await store.restoreStore({ scope: 's' });
    const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' });
    assert.match(restored.warnings[0], /cache service is not available/);
    assert.match(saved.warnings[0], /cache service is not available/);
    assert.equal(server.log.length, 0);
  });

  test('more uploads than the rate limit: the save warns about the limit', async (t) => {
    const server = await setup(t, { uploadsPerMinute: 1 });
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    const second = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' });
    assert.equal(second.saved, false);
    assert.match(second.warnings[0], /rate limit/);
    assert.equal(server.count('CreateCacheEntry', 429), 1);
  });

  test('nothing to save is a warning, not a throw', async (t) => {
    await setup(t);
    const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: undefined });
    assert.equal(saved.saved, false);
    assert.match(saved.warnings[0], /nothing to save/);
  });
});

describe('server errors and retries', () => {
  for (const blobStyle of ['loopback', 'azure']) {
    test(`a 5xx on every call, once: the clients retry and everything succeeds (${blobStyle} blob URLs)`, async (t) => {
      const server = await setup(t, { blobStyle });
      // The Twirp retries wait 3 s each: exercised once, with the loopback style.
      const twirpFaults = blobStyle === 'loopback';
      if (twirpFaults) {
        server.fault('CreateCacheEntry', { status: 503 });
        server.fault('FinalizeCacheEntryUpload', { status: 502 });
        server.fault('GetCacheEntryDownloadURL', { status: 500 });
      }
      server.fault('PutBlob', { status: 500 });
      server.fault('GetBlobProperties', { status: 503 });
      server.fault('GetBlob', { status: 503 });
      const saved = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '"retried"' });
      assert.deepEqual([saved.saved, saved.warnings], [true, []]);
      const restored = await store.restoreStore({ scope: 's' });
      assert.deepEqual([text(restored.bytes), restored.warnings], ['"retried"', []]);
      const calls = (op) => server.log.filter((l) => l.op === op).map((l) => l.status);
      assert.deepEqual(calls('CreateCacheEntry'), twirpFaults ? [503, 200] : [200]);
      assert.deepEqual(calls('PutBlob'), [500, 201]);
      assert.deepEqual(calls('FinalizeCacheEntryUpload'), twirpFaults ? [502, 200] : [200]);
      assert.deepEqual(calls('GetCacheEntryDownloadURL'), twirpFaults ? [500, 200] : [200]);
      if (blobStyle === 'azure') {
        assert.deepEqual(calls('GetBlobProperties'), [503, 200]);
        assert.deepEqual(calls('GetBlob'), [503, 206]);
      } else {
        assert.deepEqual(calls('GetBlob'), [503, 200]);
      }
    });
  }

  test('5xx forever on the lookup: the restore gives up within its bound', async (t) => {
    const server = await setup(t);
    server.fault('GetCacheEntryDownloadURL', { status: 503 }, Infinity);
    const timeoutMs = 2500;
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(() => store.restoreStore({ scope: 's', timeoutMs }));
    assert.equal(value.bytes, null);
    assert.match(value.warnings[0], /not restored from the cache: gave up after 2\.5 s/);
    assert.ok(ms / timeoutMs > 0.9 && ms / timeoutMs < 3, `took ${ms} ms for a ${timeoutMs} ms bound`);
    assert.ok(server.count('GetCacheEntryDownloadURL', 503) >= 1);
    assert.equal(store.abandonedOperations(), abandonedBefore + 1, 'the client is still retrying in the background');
    await server.close(); // its next retry meets a closed port and ends
    const ended = await eventually(() => store.abandonedOperations() === abandonedBefore, 30_000);
    assert.ok(ended, 'the abandoned restore ended');
  });

  test('5xx forever on the lookup, long bound: the client gives up by itself and we warn', async (t) => {
    const server = await setup(t);
    server.fault('GetBlob', { status: 503 }, Infinity);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    const timeoutMs = 60_000;
    const { value, ms } = await timed(() => store.restoreStore({ scope: 's', timeoutMs }));
    assert.equal(value.bytes, null);
    assert.match(value.warnings[0], /downloadCache failed: Cache service responded with 503/);
    assert.ok(ms < timeoutMs / 2, `took ${ms} ms`);
    assert.equal(server.count('GetBlob', 503), 2, 'the plain download path tries twice');
  });

  test('5xx forever on the reservation: the save gives up within its bound', async (t) => {
    const server = await setup(t);
    server.fault('CreateCacheEntry', { status: 500 }, Infinity);
    const timeoutMs = 2500;
    const save = () => store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}', timeoutMs });
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(save);
    assert.equal(value.saved, false);
    assert.match(value.warnings[0], /gave up after 2\.5 s/);
    assert.ok(ms / timeoutMs > 0.9 && ms / timeoutMs < 3, `took ${ms} ms for a ${timeoutMs} ms bound`);
    await server.close(); // the client's next retry meets a closed port and ends the save
    const ended = await eventually(() => store.abandonedOperations() === abandonedBefore, 30_000);
    assert.ok(ended, 'the abandoned save ended');
  });

  test('a dropped connection on the lookup: warning, no retry storm', async (t) => {
    const server = await setup(t);
    server.fault('GetCacheEntryDownloadURL', { reset: true });
    const restored = await store.restoreStore({ scope: 's' });
    assert.equal(restored.bytes, null);
    assert.match(restored.warnings[0], /ECONNRESET/);
    assert.equal(server.count('GetCacheEntryDownloadURL'), 1);
  });
});

describe('broken and hanging downloads', () => {
  for (const blobStyle of ['loopback', 'azure']) {
    for (const corrupt of ['garbage', 'truncate', 'short']) {
      test(`a ${corrupt} archive (${blobStyle} blob URLs): warning, no bytes, the next restore works`, async (t) => {
        const server = await setup(t, { blobStyle });
        assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{"x":1}' })).saved, true);
        server.fault('GetBlob', { corrupt });
        const restored = await store.restoreStore({ scope: 's', timeoutMs: 20_000 });
        assert.equal(restored.bytes, null);
        assert.equal(restored.warnings.length, 1);
        assert.match(
          restored.warnings[0],
          /^timing store not restored from the cache: .+; starting without timing history$/,
        );
        // Nothing stale was left behind.
        const again = await store.restoreStore({ scope: 's' });
        assert.deepEqual([text(again.bytes), again.warnings], ['{"x":1}', []]);
      });
    }
  }

  test('a download that never answers (plain GET): bounded by our timer', async (t) => {
    const server = await setup(t);
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    server.fault('GetBlob', { hang: 'headers' });
    const timeoutMs = 2500;
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(() => store.restoreStore({ scope: 's', timeoutMs }));
    assert.equal(value.bytes, null);
    assert.match(value.warnings[0], /gave up after 2\.5 s/);
    assert.ok(ms / timeoutMs > 0.9 && ms / timeoutMs < 3, `took ${ms} ms for a ${timeoutMs} ms bound`);
    // The connection drops: the client retries the GET after 5 s, which now succeeds, and the abandoned restore
    // finishes in the background.
    server.releaseHangs();
    assert.ok(await eventually(() => store.abandonedOperations() === abandonedBefore, 30_000), 'it ended');
    assert.deepEqual(server.log.filter((l) => l.op === 'GetBlob').map((l) => l.status), [0, 200]);
  });

  test('a download that stalls mid-body (plain GET): the client’s idle-socket timeout ends it first', async (t) => {
    const server = await setup(t);
    const json = JSON.stringify({ pad: 'x'.repeat(4000) });
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json })).saved, true);
    server.fault('GetBlob', { hang: 'body' });
    const timeoutMs = 40_000;
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(() => store.restoreStore({ scope: 's', timeoutMs }));
    assert.equal(value.bytes, null);
    assert.equal(value.warnings.length, 1);
    assert.doesNotMatch(value.warnings[0], /gave up/);
    assert.ok(ms < timeoutMs / 2, `took ${ms} ms`);
    assert.equal(store.abandonedOperations(), abandonedBefore);
  });

  test('a download that never answers (Azure SDK path): the segment timeout we pass aborts it', async (t) => {
    const server = await setup(t, { blobStyle: 'azure' });
    assert.equal((await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '{}' })).saved, true);
    server.fault('GetBlob', { hang: 'headers' });
    const timeoutMs = 6000;
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(() => store.restoreStore({ scope: 's', timeoutMs }));
    assert.equal(value.bytes, null);
    assert.match(value.warnings[0], /Aborting cache download as the download time exceeded the timeout/);
    // The segment timeout is 3/4 of the bound: it fires before our own timer would.
    assert.ok(ms / timeoutMs > 0.7 && ms / timeoutMs < 1, `took ${ms} ms for a ${timeoutMs} ms bound`);
    assert.equal(store.abandonedOperations(), abandonedBefore, 'the client aborted its own download');
  });

  test('an upload that never answers: the save gives up in time; the next save of the file waits', async (t) => {
    const server = await setup(t, { blobStyle: 'azure' });
    server.fault('PutBlob', { hang: 'headers' });
    const timeoutMs = 2500;
    const abandonedBefore = store.abandonedOperations();
    const { value, ms } = await timed(() =>
      store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '"hung"', timeoutMs }),
    );
    assert.equal(value.saved, false);
    assert.match(value.warnings[0], /gave up after 2\.5 s \(the cache service or the upload did not answer\)/);
    assert.ok(ms / timeoutMs > 0.9 && ms / timeoutMs < 3, `took ${ms} ms for a ${timeoutMs} ms bound`);
    assert.equal(store.abandonedOperations(), abandonedBefore + 1);
    // A second save to the same file waits for the abandoned one (it still reads that file) within its own bound,
    // and never starts if that bound runs out first.
    const blocked = await store.saveStore({ scope: 's', runId: 1, attempt: 1, json: '"second"', timeoutMs: 300 });
    assert.equal(blocked.saved, false);
    assert.match(blocked.warnings[0], /gave up after 0\.3 s/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.count('CreateCacheEntry'), 1, 'the blocked save never reached the service');
    // Once the connection drops, the Azure SDK retries the upload and the abandoned save completes in the
    // background: an entry we reported as not saved may still appear (harmless: a later restore finds it).
    server.releaseHangs();
    assert.ok(await eventually(() => store.abandonedOperations() === abandonedBefore, 20_000), 'it ended');
    assert.deepEqual(
      server.entries().map((e) => [e.key, e.state]),
      [[value.key, 'finalized']],
    );
  });
});

describe('the test server speaks the protocol (checked with the real clients)', () => {
  test('chunked upload: Put Block + Put Block List from the Azure SDK, ranged reads back', async (t) => {
    const server = await setup(t);
    const create = await twirp(server, 'CreateCacheEntry', { key: 'k', version: 'v' });
    assert.equal(create.status, 200);
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const client = new BlockBlobClient(create.body.signed_upload_url);
    await client.uploadData(data, { blockSize: 1024, maxSingleShotSize: 1024, concurrency: 3 });
    assert.equal(server.count('PutBlock', 201), 5);
    assert.equal(server.count('PutBlockList', 201), 1);
    const size = String(data.length);
    const fin = await twirp(server, 'FinalizeCacheEntryUpload', { key: 'k', version: 'v', size_bytes: size });
    assert.deepEqual(fin.body, { ok: true, entry_id: '1', message: '' });
    const lookup = await twirp(server, 'GetCacheEntryDownloadURL', { key: 'k', version: 'v' });
    assert.equal(lookup.body.matched_key, 'k');
    const reader = new BlobClient(lookup.body.signed_download_url);
    assert.deepEqual(await reader.downloadToBuffer(0, undefined, { blockSize: 700 }), data);
    assert.equal((await reader.getProperties()).contentLength, data.length);
    // The read URL cannot write, the write URL cannot read, a forged signature is refused.
    const refused = (code) => (error) => error.statusCode === 403 && (error.code === code || code === undefined);
    const readUrlWriter = new BlockBlobClient(lookup.body.signed_download_url);
    await assert.rejects(readUrlWriter.upload('x', 1), refused('AuthenticationFailed'));
    await assert.rejects(new BlobClient(create.body.signed_upload_url).download(0), refused('AuthenticationFailed'));
    const forged = lookup.body.signed_download_url.replace(/sig=[^&]+/, 'sig=AAAA');
    await assert.rejects(new BlobClient(forged).download(0), refused('AuthenticationFailed'));
  });

  test('twirp: auth, method, content type, validation, lookup order, immutable keys, finalize', async (t) => {
    const server = await setup(t);
    const url = `${server.url}twirp/${SERVICE}/CreateCacheEntry`;
    const post = (headers, body = '{}') => fetch(url, { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${process.env.ACTIONS_RUNTIME_TOKEN}` };
    let r = await post({ 'content-type': 'application/json' });
    assert.deepEqual([r.status, (await r.json()).code], [401, 'unauthenticated']);
    r = await post({ ...auth, 'content-type': 'text/plain' });
    assert.deepEqual([r.status, (await r.json()).code], [404, 'bad_route']);
    r = await fetch(url, { headers: auth });
    assert.deepEqual([r.status, (await r.json()).code], [404, 'bad_route']);
    r = await post({ ...auth, 'content-type': 'application/json' }, '{not json');
    assert.deepEqual([r.status, (await r.json()).code], [400, 'malformed']);
    r = await post({ ...auth, 'content-type': 'application/json' }, JSON.stringify({ key: 'a,b', version: 'v' }));
    assert.deepEqual([r.status, (await r.json()).code], [400, 'invalid_argument']);
    const expired = server.token({ expiresInSeconds: -10 });
    r = await post({ authorization: `Bearer ${expired}`, 'content-type': 'application/json' });
    assert.deepEqual([r.status, (await r.json()).msg], [401, 'token expired']);

    // Lookup order: exact key, then newest prefix of the key, then restore keys in order.
    for (const key of ['app-1', 'app-2', 'lib-1', 'app']) {
      await putEntry(server, key, 'v', key);
    }
    await putEntry(server, 'app-3', 'other-version', 'x');
    const find = async (key, restoreKeys) =>
      (await twirp(server, 'GetCacheEntryDownloadURL', { key, restore_keys: restoreKeys, version: 'v' })).body;
    assert.equal((await find('app')).matched_key, 'app');
    assert.equal((await find('app-')).matched_key, 'app-2');
    assert.equal((await find('zzz', ['lib-', 'app-'])).matched_key, 'lib-1');
    assert.equal((await find('zzz', ['nope-', 'app'])).matched_key, 'app', 'newest prefix match of a restore key');
    assert.deepEqual(await find('zzz', ['nope']), { ok: false, signed_download_url: '', matched_key: '' });
    // Immutable: the same key + version again is a conflict, even while only reserved.
    assert.equal((await twirp(server, 'CreateCacheEntry', { key: 'app-1', version: 'v' })).status, 409);
    assert.equal((await twirp(server, 'CreateCacheEntry', { key: 'new', version: 'v' })).status, 200);
    assert.equal((await twirp(server, 'CreateCacheEntry', { key: 'new', version: 'v' })).status, 409);
    assert.equal((await twirp(server, 'CreateCacheEntry', { key: 'new', version: 'v2' })).status, 200);
    assert.equal((await find('new')).ok, false, 'reserved entries are not visible');
    // Finalize without a blob, then with a wrong size.
    let fin = await twirp(server, 'FinalizeCacheEntryUpload', { key: 'new', version: 'v', size_bytes: '3' });
    assert.deepEqual([fin.status, fin.body.ok], [200, false]);
    assert.equal(fin.body.message, 'no blob was uploaded for this cache entry');
    const created = server.entries().find((e) => e.key === 'new' && e.version === 'v');
    await new BlockBlobClient(signedUploadUrlOf(server, created.id)).upload('abc', 3);
    fin = await twirp(server, 'FinalizeCacheEntryUpload', { key: 'new', version: 'v', size_bytes: '4' });
    assert.match(fin.body.message, /size mismatch: 3 bytes uploaded, finalize says 4/);
    fin = await twirp(server, 'FinalizeCacheEntryUpload', { key: 'new', version: 'v', size_bytes: '3' });
    assert.equal(fin.body.ok, true);
    fin = await twirp(server, 'FinalizeCacheEntryUpload', { key: 'gone', version: 'v', size_bytes: '3' });
    assert.equal(fin.status, 404);
    // Permission bits of the scopes.
    const readOnly = server.token({ scopes: [{ scope: 'refs/heads/main', permission: READ }] });
    const denied = await twirp(server, 'CreateCacheEntry', { key: 'ro', version: 'v' }, readOnly);
    assert.deepEqual([denied.status, denied.body.ok], [200, false]);
    assert.match(denied.body.message, /^cache write denied:/);
  });
});

// --- helpers for direct protocol calls ---------------------------------------------------------------------------

const uploadUrls = new Map();

async function twirp(server, method, body, token = process.env.ACTIONS_RUNTIME_TOKEN) {
  const r = await fetch(`${server.url}twirp/${SERVICE}/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = await r.json();
  if (method === 'CreateCacheEntry' && parsed.signed_upload_url) {
    uploadUrls.set(`${server.url}|${server.entries().at(-1).id}`, parsed.signed_upload_url);
  }
  return { status: r.status, body: parsed };
}

function signedUploadUrlOf(server, id) {
  return uploadUrls.get(`${server.url}|${id}`);
}

async function putEntry(server, key, version, content) {
  const create = await twirp(server, 'CreateCacheEntry', { key, version });
  assert.equal(create.status, 200, JSON.stringify(create.body));
  await new BlockBlobClient(create.body.signed_upload_url).upload(content, Buffer.byteLength(content));
  const size = String(Buffer.byteLength(content));
  const fin = await twirp(server, 'FinalizeCacheEntryUpload', { key, version, size_bytes: size });
  assert.equal(fin.body.ok, true);
}
