// store.js — moves the timing store (and the select-mode plan) between the job and the Actions cache through
// @actions/cache. Its one job is that transfer; what the bytes mean is the core's business (main.js hands them to the
// wasm engine, which accepts or rejects them). It never throws: every failure becomes a warning string in the result
// and a fallback value (no bytes / not saved), because a cache outage must only make the split less balanced.
//
// Keys. The cache is immutable per key, so every save uses a fresh key and every restore asks for the newest entry
// under a prefix (the cache service's "newest prefix match wins"):
//   store  `<keyPrefix>-<scope>-<run_id>-<attempt>-<8 hex>`  restored by the prefix `<keyPrefix>-<scope>-`
//   plan   `<keyPrefix>-<scope>-plan-<run_id>-<attempt>`     restored by that key, then by `…-plan-<run_id>-`
// The random part keeps two record steps of one run (attempt) from colliding. The cache *version* hashes the `paths`
// strings, so save and restore must pass the same path: one fixed file per (keyPrefix, scope) under RUNNER_TEMP
// (os.tmpdir() outside Actions) — `timeshard/<hash of keyPrefix and scope>/store.json` and `…/plan.json`. Because
// the path differs per scope, so does the version, and the prefix of scope `a` never restores an entry of scope `a-b`.
// Store and plan paths differ too, so a store restore never returns a plan.
//
// Failures, and what the caller gets:
//   - no cache service (isFeatureAvailable() false), no ACTIONS_RUNTIME_TOKEN, cache-mode without reads/writes
//     (ACTIONS_CACHE_MODE, honoured by the client itself), read/write denied by the service, 5xx after the client's
//     retries, rate limits, an archive that does not download or extract, a save that throws → a warning.
//   - a miss (nothing saved yet) → an info line, no warning.
//   - every operation is bounded: the client's own download timeouts are passed (DownloadOptions.segmentTimeoutInMs,
//     3/4 of the bound, limits the Azure SDK download, which is the one production uses — unless the job sets
//     SEGMENT_DOWNLOAD_TIMEOUT_MINS, which the client lets win; the plain-GET path has a 5 s socket inactivity
//     timeout of its own) and the whole call is raced against a timer. An operation that loses the race is
//     abandoned, not cancelled (the client offers no cancellation): `abandonedOperations()` counts those still
//     running, and the entry point should exit the process explicitly when it is non-zero, or an open socket can keep
//     the step alive.
//
// The client reports its failures only through log lines (restoreCache returns undefined for a miss and for an
// error alike; saveCache returns -1). To tell them apart, the process's stdout is observed while a call runs, and the
// client's own `::warning::`/`::error::` annotations about the cache are demoted to plain log lines: the caller
// raises the returned warnings once, in its own words, instead of the client annotating a best-effort cache failure
// as a job error.

import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bytesOf } from './discover.js';

/** Default first part of every cache key; bump the `v1` when the stored layout changes incompatibly. */
export const KEY_PREFIX = 'timeshard-v1';
/** Default bound of a restore (ms): the client's Twirp retries alone can take ~35 s. */
export const RESTORE_TIMEOUT_MS = 60_000;
/** Default bound of a save (ms): Twirp retries plus the Azure SDK's upload retries. */
export const SAVE_TIMEOUT_MS = 90_000;
/** Per-request timeout passed to the client's Azure download (its default). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Share of a restore's bound given to the client's download-segment timeout. */
const SEGMENT_SHARE = 0.75;
const MAX_SCOPE_CHARS = 200;

/**
 * @typedef {object} RestoreResult
 * @property {Uint8Array|null} bytes the restored file's content, or null (miss or failure; also with `read: false`)
 * @property {{ path: string, size: number }|null} [file] with `read: false`: the restored file, left for the caller
 *   to read (the core reads a store straight into its memory), or null
 * @property {string|null} key the cache key it came from
 * @property {string[]} warnings what went wrong, for the caller to surface; empty on a hit or a plain miss
 */

/**
 * @typedef {object} SaveResult
 * @property {boolean} saved whether the cache accepted the entry
 * @property {string|null} key the key it was (or would have been) saved under
 * @property {string[]} warnings what went wrong, for the caller to surface
 */

/**
 * Restores the newest timing store saved under `<keyPrefix>-<scope>-`.
 * @param {object} [options]
 * @param {string} [options.keyPrefix] default KEY_PREFIX
 * @param {string} [options.scope] the user's cache-key (names the suite); default `default`
 * @param {string} [options.path] the local file; default a fixed file per keyPrefix+scope under RUNNER_TEMP
 * @param {number} [options.timeoutMs] bound of the whole operation; default RESTORE_TIMEOUT_MS
 * @param {boolean} [options.read] false: give the restored file ({ path, size }) instead of its bytes; default true
 * @returns {Promise<RestoreResult>}
 */
export async function restoreStore(options = {}) {
  const names = storeNames(options);
  return restoreFile({
    what: 'timing store',
    file: options.path ?? names.storePath,
    primaryKey: names.prefix,
    restoreKeys: [names.prefix],
    timeoutMs: options.timeoutMs ?? RESTORE_TIMEOUT_MS,
    consequence: 'starting without timing history',
    read: options.read ?? true,
  });
}

/**
 * Saves a timing store under a key unique to this run, attempt and call.
 * @param {object} options
 * @param {string|Uint8Array} options.json the store's bytes (Store::to_json)
 * @param {string} [options.keyPrefix] default KEY_PREFIX
 * @param {string} [options.scope] default `default`
 * @param {string|number} [options.runId] default GITHUB_RUN_ID (or the time outside Actions)
 * @param {string|number} [options.attempt] default GITHUB_RUN_ATTEMPT (or 1)
 * @param {string} [options.path] must equal the path restoreStore used; default the same fixed file
 * @param {number} [options.timeoutMs] default SAVE_TIMEOUT_MS
 * @returns {Promise<SaveResult>}
 */
export async function saveStore(options = {}) {
  const names = storeNames(options);
  const { runId, attempt } = runIdentity(options);
  const key = `${names.prefix}${runId}-${attempt}-${randomBytes(4).toString('hex')}`;
  return saveFile({
    what: 'timing store',
    file: options.path ?? names.storePath,
    key,
    data: options.json,
    timeoutMs: options.timeoutMs ?? SAVE_TIMEOUT_MS,
    consequence: 'the next run plans without this run’s timings',
  });
}

/**
 * Saves the plan of this run for the select mode (workers that fetch their share instead of reading a matrix).
 * @param {object} options
 * @param {string|Uint8Array} options.json the plan JSON
 * @param {string} [options.keyPrefix]
 * @param {string} [options.scope]
 * @param {string|number} [options.runId]
 * @param {string|number} [options.attempt]
 * @param {number} [options.timeoutMs]
 * @returns {Promise<SaveResult>}
 */
export async function savePlan(options = {}) {
  const names = storeNames(options);
  const { runId, attempt } = runIdentity(options);
  return saveFile({
    what: 'plan',
    file: names.planPath,
    key: `${names.planPrefix}${runId}-${attempt}`,
    data: options.json,
    timeoutMs: options.timeoutMs ?? SAVE_TIMEOUT_MS,
    consequence: 'workers of this run cannot fetch it from the cache',
  });
}

/**
 * Restores the plan of this run: the one saved in this attempt, else the newest of an earlier attempt (re-running
 * only the failed jobs keeps the plan job's attempt).
 * @param {object} [options]
 * @param {string} [options.keyPrefix]
 * @param {string} [options.scope]
 * @param {string|number} [options.runId]
 * @param {string|number} [options.attempt]
 * @param {number} [options.timeoutMs]
 * @returns {Promise<RestoreResult>}
 */
export async function restorePlan(options = {}) {
  const names = storeNames(options);
  const { runId, attempt } = runIdentity(options);
  return restoreFile({
    what: 'plan',
    file: names.planPath,
    primaryKey: `${names.planPrefix}${runId}-${attempt}`,
    restoreKeys: [`${names.planPrefix}${runId}-`],
    timeoutMs: options.timeoutMs ?? RESTORE_TIMEOUT_MS,
    consequence: 'no plan for this run',
  });
}

/**
 * The key prefixes and local paths for a keyPrefix + scope (exported for tests and diagnostics).
 * @param {{keyPrefix?: string, scope?: string}} [options]
 * @returns {{prefix: string, planPrefix: string, storePath: string, planPath: string}}
 */
export function storeNames(options = {}) {
  const keyPrefix = keyPart(options.keyPrefix ?? KEY_PREFIX, KEY_PREFIX);
  const scope = keyPart(options.scope ?? '', 'default');
  const dir = path.join(
    process.env.RUNNER_TEMP || os.tmpdir(),
    'timeshard',
    createHash('sha256').update(`${keyPrefix}\n${scope}`).digest('hex').slice(0, 16),
  );
  return {
    prefix: `${keyPrefix}-${scope}-`,
    planPrefix: `${keyPrefix}-${scope}-plan-`,
    storePath: path.join(dir, 'store.json'),
    planPath: path.join(dir, 'plan.json'),
  };
}

/** Number of cache operations that timed out here but are still running inside the client. */
export function abandonedOperations() {
  return abandoned;
}

// --- the two operations -------------------------------------------------------------------------------------------

async function restoreFile({ what, file, primaryKey, restoreKeys, timeoutMs, consequence, read = true }) {
  const result = read ? { bytes: null, key: null, warnings: [] } : { bytes: null, file: null, key: null, warnings: [] };
  const fail = (reason) => {
    result.warnings.push(`${what} not restored from the cache: ${reason}; ${consequence}`);
    return result;
  };
  const blocked = precheck();
  if (blocked) {
    return fail(blocked);
  }
  const outcome = await bounded(file, timeoutMs, async () => {
    await rm(file, { force: true });
    await mkdir(path.dirname(file), { recursive: true });
    // The client's own download bound fires first (it aborts the transfer, so nothing is left running); the race
    // in bounded() is the backstop for the parts it does not cover (the Twirp calls, the HEAD, extraction).
    const downloadOptions = {
      timeoutInMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
      segmentTimeoutInMs: Math.max(1, Math.floor(timeoutMs * SEGMENT_SHARE)),
    };
    const { value, lines } = await observed(() => cache.restoreCache([file], primaryKey, restoreKeys, downloadOptions));
    if (!value) {
      return { key: null, lines };
    }
    try {
      if (!read) {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        return { key: value, lines, found: { path: file, size: info.size } };
      }
      return { key: value, lines, bytes: bytesOf(await readFile(file)) };
    } catch (error) {
      return { key: value, lines, readError: error };
    }
  });
  if (outcome.timedOut) {
    return fail(`gave up after ${seconds(timeoutMs)} (the cache service or the download did not answer)`);
  }
  if (outcome.error) {
    return fail(message(outcome.error));
  }
  const { key, lines, bytes, found, readError } = outcome.value;
  if (!key) {
    const failed = lines.find((l) => l.level !== 'info' && /^Failed to restore: /.test(l.message));
    const skipped = lines.find((l) => /^Cache restore skipped: /.test(l.message));
    if (failed) {
      return fail(failed.message.replace(/^Failed to restore: /, ''));
    }
    if (skipped) {
      return fail(`cache reads are disabled for this job (${skipped.message})`);
    }
    core.info(`No ${what} in the cache yet under ${show(primaryKey)}.`);
    return result;
  }
  if (readError) {
    result.key = key;
    result.warnings.push(
      `${what} from cache key ${show(key)} is unreadable: the archive did not contain ${file} ` +
        `(${message(readError)}); ${consequence}`,
    );
    return result;
  }
  core.info(`Restored the ${what} from cache key ${show(key)} (${read ? bytes.length : found.size} bytes).`);
  result.key = key;
  if (read) result.bytes = bytes;
  else result.file = found;
  return result;
}

async function saveFile({ what, file, key, data, timeoutMs, consequence }) {
  const result = { saved: false, key, warnings: [] };
  const fail = (reason) => {
    result.warnings.push(`${what} not saved to the cache (key ${show(key)}): ${reason}; ${consequence}`);
    return result;
  };
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    return fail(`nothing to save (expected a string or bytes, got ${data === null ? 'null' : typeof data})`);
  }
  if (key.length > 512) {
    return fail(`the key is ${key.length} characters long; the cache accepts at most 512`);
  }
  const blocked = precheck();
  if (blocked) {
    return fail(blocked);
  }
  const outcome = await bounded(file, timeoutMs, async () => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    return observed(() => cache.saveCache([file], key));
  });
  if (outcome.timedOut) {
    return fail(`gave up after ${seconds(timeoutMs)} (the cache service or the upload did not answer)`);
  }
  if (outcome.error) {
    return fail(message(outcome.error));
  }
  const { value, lines } = outcome.value;
  if (typeof value === 'number' && value > 0) {
    core.info(`Saved the ${what} to the cache under ${show(key)}.`);
    result.saved = true;
    return result;
  }
  const primary = lines.find((l) => /^Failed to save: |^Cache save skipped: /.test(l.message));
  const others = lines
    .filter((l) => l !== primary && (l.level === 'warning' || l.level === 'error'))
    .filter((l) => !/^uploadCacheArchiveSDK: /.test(l.message) || !primary)
    .map((l) => l.message);
  if (primary && /^Cache save skipped: /.test(primary.message)) {
    return fail(`the cache is read-only for this job (${primary.message})`);
  }
  // The client's other warnings first: for a rate limit, its "Failed to save" line blames "another job".
  const reasons = [...others, primary?.message.replace(/^Failed to save: /, '')]
    .filter(Boolean)
    .map((r) => r.replace(/\.$/, ''));
  return fail(reasons.length > 0 ? reasons.join('; ') : `the cache client returned ${String(value)}`);
}

// Conditions under which the client would throw or cannot work; checked first for a precise message.
function precheck() {
  if (!cache.isFeatureAvailable()) {
    return (
      'the Actions cache service is not available to this job ' +
      '(ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL are not set)'
    );
  }
  if (!process.env.ACTIONS_RUNTIME_TOKEN) {
    return 'ACTIONS_RUNTIME_TOKEN is not set (the cache client needs it; it is given to actions, not to run: steps)';
  }
  return undefined;
}

// --- bounding: one operation per file at a time, each raced against a timer ---------------------------------------

const queues = new Map();
let abandoned = 0;

// Runs `fn` after the previous operation on `file` settled (two operations on one path would overwrite each
// other's file: the path is fixed because the cache version hashes it), and resolves within `timeoutMs` whatever
// happens: {value} | {error} | {timedOut: true}. Time spent waiting for the previous operation counts. An operation
// that has not started when its caller gives up never starts.
async function bounded(file, timeoutMs, fn) {
  const previous = queues.get(file) ?? Promise.resolve();
  const state = { cancelled: false, settled: false, counted: false };
  const run = previous.then(() => (state.cancelled ? { cancelled: true } : fn().then((value) => ({ value }))));
  const settledRun = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(file, settledRun);
  settledRun.then(() => {
    state.settled = true;
    if (state.counted) {
      abandoned -= 1;
    }
    if (queues.get(file) === settledRun) {
      queues.delete(file);
    }
  });
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), Math.max(0, timeoutMs));
  });
  const outcome = await Promise.race([run.catch((error) => ({ error })), timeout]);
  clearTimeout(timer);
  if (outcome.timedOut) {
    state.cancelled = true;
    if (!state.settled) {
      state.counted = true;
      abandoned += 1;
    }
  }
  return outcome;
}

// --- observing the client's log lines ------------------------------------------------------------------------------

// Messages of @actions/cache (6.x) that are best-effort cache failures: demoted from annotations to log lines.
const CLIENT_MESSAGES = [
  /^Failed to (restore|save): /,
  /^Cache reservation failed: /,
  /^uploadCacheArchiveSDK: /,
  /^You've hit a rate limit/,
];

const listeners = new Set();
let originalWrite;
let patchedWrite;

// Calls `fn` while recording the lines written to stdout: [{level: 'info'|'warning'|'error', message}] (debug and
// other workflow commands are skipped).
async function observed(fn) {
  const lines = [];
  const listener = (line) => {
    const parsed = parseLine(line);
    if (parsed) {
      lines.push(parsed);
      if (parsed.level !== 'info' && CLIENT_MESSAGES.some((re) => re.test(parsed.message))) {
        return `[cache] ${parsed.message}`;
      }
    }
    return line;
  };
  const stop = listen(listener);
  try {
    const value = await fn();
    return { value, lines };
  } finally {
    stop();
  }
}

function listen(listener) {
  if (listeners.size === 0 && process.stdout.write !== patchedWrite) {
    originalWrite = process.stdout.write;
    patchedWrite = function timeshardObserve(chunk, encoding, callback) {
      let out = chunk;
      if (typeof chunk === 'string' && listeners.size > 0) {
        try {
          const parts = chunk.split(/(\r?\n)/);
          for (let i = 0; i < parts.length; i += 2) {
            if (parts[i] !== '') {
              // Every listener sees the original line (an abandoned operation may still be listening).
              const original = parts[i];
              for (const l of listeners) {
                const rewritten = l(original);
                if (rewritten !== original) {
                  parts[i] = rewritten;
                }
              }
            }
          }
          out = parts.join('');
        } catch {
          out = chunk; // observing must never break logging
        }
      }
      return originalWrite.call(this, out, encoding, callback);
    };
    process.stdout.write = patchedWrite;
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && process.stdout.write === patchedWrite) {
      process.stdout.write = originalWrite;
      patchedWrite = undefined;
    }
  };
}

function parseLine(line) {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
  if (!command) {
    return { level: 'info', message: line };
  }
  if (command[1] !== 'warning' && command[1] !== 'error') {
    return undefined;
  }
  const text = command[2].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  return { level: command[1], message: text };
}

// --- small helpers --------------------------------------------------------------------------------------------------

// A user-supplied key part: no commas (the cache rejects them) or whitespace, bounded length (keys ≤ 512 chars).
function keyPart(value, fallback) {
  const text = String(value).trim().replace(/[\s,]+/g, '_');
  if (text === '') {
    return fallback;
  }
  if (text.length <= MAX_SCOPE_CHARS) {
    return text;
  }
  return `${text.slice(0, MAX_SCOPE_CHARS - 17)}~${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

function runIdentity(options) {
  const runId = keyPart(options.runId ?? process.env.GITHUB_RUN_ID ?? `local${Date.now()}`, '0');
  const attempt = keyPart(options.attempt ?? process.env.GITHUB_RUN_ATTEMPT ?? '1', '1');
  return { runId, attempt };
}

// Keys come from the cache (another job wrote them): never print control characters.
function show(key) {
  return `\`${String(key).replace(/[\u0000-\u001f\u007f]/g, '?')}\``;
}

function message(error) {
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms) {
  return `${Math.round(ms / 100) / 10} s`;
}
