// The door to the Rust core: loads the wasm once, wraps `plan`/`record`/`version`, turns core errors into
// InputError (a request the user got wrong) or EngineError (with context), and keeps one last-resort splitter for
// the case where the wasm itself cannot run — so a broken engine still gives a plan that runs every test once.

import { readFileSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import {
  initSync,
  plan as wasmPlan,
  record as wasmRecord,
  version as wasmVersion,
} from '../pkg/timeshard.js';
import { fileReader } from './file-reader.js';
import { InputError } from './inputs.js';
import { startParseThreads } from './parse-threads.js';

/** An error from the core or from loading it; `operation` says which call failed. */
export class EngineError extends Error {
  constructor(operation, message, cause) {
    super(`timeshard core, ${operation}: ${message}`, cause ? { cause } : undefined);
    this.name = 'EngineError';
    this.operation = operation;
    this.coreMessage = message;
  }
}

let loaded = false;
/** The module's memory (files are read into it through views of it). */
let memory = null;
/** The compiled module (parse threads instantiate it again, without compiling). */
let compiled = null;

/**
 * Reads and instantiates the wasm module, once. In dist/ the module sits next to the bundle, brotli-compressed
 * (scripts/bundle.mjs says why); when running from js/ (tests, development) it is the wasm-pack output in ../pkg/.
 */
export function loadEngine() {
  if (loaded) return;
  const candidates = [
    { url: new URL('./timeshard_bg.wasm.br', import.meta.url), compressed: true },
    { url: new URL('../pkg/timeshard_bg.wasm', import.meta.url), compressed: false },
  ];
  let bytes = null;
  const tried = [];
  for (const { url, compressed } of candidates) {
    let file;
    try {
      file = readFileSync(url);
    } catch (error) {
      tried.push(`${url.pathname}: ${error.code ?? error.message}`);
      continue;
    }
    try {
      bytes = compressed ? brotliDecompressSync(file) : file;
    } catch (error) {
      throw new EngineError('load', `${url.pathname} is not a brotli-compressed module (${error.code ?? error.message}); reinstall the action or rebuild dist/`, error);
    }
    break;
  }
  if (bytes === null) {
    throw new EngineError('load', `timeshard_bg.wasm not found (${tried.join('; ')})`);
  }
  try {
    compiled = new WebAssembly.Module(bytes);
    ({ memory } = initSync({ module: compiled }));
  } catch (error) {
    throw new EngineError('load', `the wasm module did not instantiate: ${error.message}`, error);
  }
  loaded = true;
}

/** Turns an error thrown by a wasm export into InputError or EngineError. */
export function translateError(operation, error) {
  const message = error instanceof Error ? error.message : String(error);
  // The core words request problems as ``input `name`: detail`` (crate::Error::input).
  const match = /^input `([^`]+)`: ([\s\S]*)$/i.exec(message);
  if (match) return new InputError(match[1], match[2]);
  return new EngineError(operation, message, error instanceof Error ? error : undefined);
}

function call(operation, fn, request) {
  loadEngine();
  try {
    return fn(request);
  } catch (error) {
    throw translateError(operation, error);
  }
}

/** The core's version string. */
export function engineVersion() {
  return call('version', () => wasmVersion(), undefined);
}

/**
 * Report or timing files for a core call. { name, data } entries pass as they are; { name, path, size } entries
 * become { name, read: index, size }, which the core reads through `reader` when it gets to each one — straight
 * into its memory, one file at a time (a large report is neither copied from a JS buffer nor held next to all the
 * others). A file that cannot be read is left out; `unread` says why, calling it `what` (or the entry's own
 * `what`). With `threads` ({ roots, count }: the first `count` path entries are reports parsed with `roots`), parse
 * threads (js/parse-threads.js) may parse some of those, and the reader hands them to the core parsed; what went
 * wrong in a thread is added to `unread` (the plan is the same). Call `reader.close()` after the core call (it
 * closes a file the core opened but did not read, which only happens when the call fails, and stops the threads).
 */
function intoCore(entries, what, threads) {
  const sources = [];
  const paths = [];
  const unread = [];
  for (const e of entries ?? []) {
    if (e.path === undefined) {
      sources.push(e);
      continue;
    }
    sources.push({ name: e.name, read: paths.length, size: e.size });
    paths.push({ ...e, what: e.what ?? what });
  }
  const pool = threads ? threadsFor(paths.slice(0, threads.count), threads) : null;
  lastThreads = null;
  let pending = null;
  const files = fileReader(paths.map((p) => p.path), memory, (i, error) => {
    unread.push(`${paths[i].what} ${JSON.stringify(paths[i].name)} could not be read: ${error.message}`);
  });
  const reader = {
    // The length of report i as a parse thread parsed it (kept for readParsed), or -1: the core parses it.
    parsed(i) {
      pending = pool?.take(i) ?? null;
      return pending === null ? -1 : pending.length;
    },
    // Copies that parsed form into the core's memory at ptr; the bytes copied.
    readParsed(i, ptr, len) {
      const bytes = pending ?? new Uint8Array(0);
      pending = null;
      const n = Math.min(len, bytes.length);
      new Uint8Array(memory.buffer, ptr, n).set(bytes.subarray(0, n));
      return n;
    },
    size: (i) => files.size(i),
    read: (i, ptr, len) => files.read(i, ptr, len),
    close() {
      files.close();
      if (pool) {
        pool.close();
        unread.push(...pool.notes);
        lastThreads = { threads: pool.threads, reports: threads.count, parsed: pool.handed() };
      }
    },
  };
  return { sources, reader: paths.length > 0 ? reader : undefined, unread };
}

/** What the parse threads of the last core call did, or null when it had none. */
let lastThreads = null;

/** { threads, reports, parsed } for the last plan or record that had parse threads (for the log), else null. */
export function parseThreadsUsed() {
  return lastThreads;
}

/** The parse threads for `reports`: the ones started ahead for exactly these (parseAhead), else new ones. */
function threadsFor(reports, { roots, ahead }) {
  if (ahead?.covers(reports)) return ahead;
  ahead?.close();
  return startParseThreads(reports, roots ?? [], compiled);
}

/**
 * Starts parsing `files` (the reports or timing files of a coming plan or record, [{ name, path, size }]) in parse
 * threads now, so that the work overlaps whatever comes before the core call (restoring the timing store). Pass the
 * result as the request's `parseAhead`; null when no thread is wanted or the module cannot load (the core call then
 * reports that).
 */
export function parseAhead(files, roots) {
  try {
    loadEngine();
  } catch {
    return null;
  }
  return startParseThreads((files ?? []).filter((f) => f.path !== undefined), roots ?? [], compiled);
}

/**
 * The request for the core, its `field` files (called `what`) through intoCore. The store may be bytes, or
 * { path, size } for a file that the core reads through the same reader, straight into its memory (a 36 MB store
 * read into a JS buffer first cost ~45 ms and its size again in memory); one that cannot be read is left out, with
 * a warning like any file.
 */
function withStoreFile(full, field, what) {
  const { parseAhead: ahead, ...request } = full;
  const store = request.store;
  const file = store != null && !(store instanceof Uint8Array) && typeof store.path === 'string'
    ? { name: store.path, path: store.path, size: store.size, what: 'timing store' }
    : null;
  const reports = request[field] ?? [];
  const threads = { roots: request.roots, count: reports.filter((e) => e.path !== undefined).length, ahead };
  const { sources, reader, unread } = intoCore([...reports, ...(file ? [file] : [])], what, threads);
  const core = { ...request, [field]: file ? sources.slice(0, -1) : sources };
  if (file) {
    core.store = null;
    core.store_file = sources.at(-1);
  }
  return { core, reader, unread };
}

/** Calls `fn(request, reader)` for a core call that reads files (see intoCore), closing what it left open. */
function callReading(operation, fn, request, reader) {
  try {
    return call(operation, (r) => fn(r, reader), request);
  } finally {
    reader?.close();
  }
}

/**
 * Plans a split; `request` as in the wasm contract, except that a timing file may be given as { name, path } as well
 * as { name, data } (see intoCore), and that the tests' sizes may be left to `sizesWhenNeeded()` (with `sizes`
 * null): it is called only when the plan has tests without any history and without a size, and the plan is made
 * again with them — the plan the sizes would have given, without a `stat` of every test file when there is history.
 * A path that cannot be read is left out with a warning in the plan. Returns the plan object.
 */
export function plan(request) {
  loadEngine();
  const { sizesWhenNeeded, ...rest } = request;
  let planned = planOnce(rest);
  // Sizes matter only to tests estimated without any history; a plan that has such tests is made again with them.
  if (planned.unsized > 0 && rest.sizes == null && sizesWhenNeeded) planned = planOnce({ ...rest, sizes: sizesWhenNeeded() });
  return planned.plan;
}

/** One core plan: { plan, unsized } (unsized: tests estimated at 1 s for want of history and of a size). */
function planOnce(request) {
  const { core, reader, unread } = withStoreFile(request, 'timings', 'timing file');
  const { plan: result, tests, unsized_estimates: unsized } = JSON.parse(callReading('plan', wasmPlan, core, reader));
  if (tests != null) withEntries(result, tests, core.tests ?? []);
  if (unread.length > 0) result.warnings = [...unread, ...(result.warnings ?? [])];
  return { plan: result, unsized };
}

/**
 * Fills each group's `tests` from the core's entries (given when the request has discovered tests): a number is the
 * index of a discovered test of the request (spelled exactly like the entry), which is put back as that same string;
 * a string is the entry itself.
 */
function withEntries(result, entries, discovered) {
  result.groups.forEach((group, k) => {
    group.tests = (entries[k] ?? []).map((e) => {
      if (typeof e === 'string') return e;
      const id = discovered[e];
      if (id === undefined) throw new EngineError('plan', `the plan names discovered test ${e} of ${discovered.length}`);
      return id;
    });
  });
}

/**
 * Merges reports into a store; a report may be { name, data } or { name, path } (see intoCore; one that cannot be
 * read is left out with a warning in the summary). With `measure: { groups, granularity }` (the plan the run
 * executed), also measures each group's actual time from the same reading of the reports. Returns
 * { store, summary, actuals }: store is the new store's JSON as UTF-8 bytes (a Uint8Array, written as it is); actuals
 * is [{ seconds, missing }] per group, or null without `measure`.
 */
export function record(request) {
  loadEngine();
  const { core, reader, unread } = withStoreFile(request, 'reports', 'report');
  const result = callReading('record', wasmRecord, core, reader);
  if (unread.length > 0) result.summary.warnings = [...unread, ...(result.summary.warnings ?? [])];
  return result;
}

/**
 * Plans, degrading instead of failing: when the core rejects the timing data or the store (a bug or a file it
 * cannot handle), plans again on estimates only; when the core cannot run at all, splits with fallbackPlan.
 * Input errors are rethrown. Returns { plan, warnings } where warnings say what was dropped.
 */
export function planDegrading(request) {
  const warnings = [];
  try {
    return { plan: plan(request), warnings };
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (error.operation === 'load') {
      warnings.push(`${error.message}; splitting by file size without the core`);
      return { plan: fallbackPlan(request), warnings };
    }
    if (request.tests === null) throw error; // nothing to fall back to: the tests come from the timing data
    warnings.push(`${error.message}; planning again without the timing data (estimates only)`);
  }
  try {
    return { plan: plan({ ...request, timings: [], store: null }), warnings };
  } catch (error) {
    if (error instanceof InputError) throw error;
    warnings.push(`${error.message}; splitting by file size without the core`);
    return { plan: fallbackPlan(request), warnings };
  }
}

/**
 * Last-resort plan without the core: the test ids exactly as discovered (never collapsed to a coarser unit: only
 * the core knows how ids map to files, and an id as given is always runnable; an id inside another listed id runs
 * with the outermost one, which is listed too), weighted by relative size (1 when
 * unknown), largest first onto the least-loaded worker (ties: the lower worker index), tests inside a group in
 * input order. The "seconds" are relative weights (mean 1 per unit), not a time prediction; every unit counts as
 * estimated.
 */
export function fallbackPlan(request) {
  const tests = request.tests ?? [];
  const sizes = request.sizes ?? request.sizesWhenNeeded?.();
  const units = [];
  const weightOf = new Map();
  // An id inside another listed id (a.py::t with a.py) runs with the outermost one, as the core does it.
  const listed = new Set(tests);
  const outermost = (id) => {
    for (let cut = id.indexOf('::'); cut !== -1; cut = id.indexOf('::', cut + 2)) {
      if (listed.has(id.slice(0, cut))) return id.slice(0, cut);
    }
    return id;
  };
  tests.forEach((id, i) => {
    const unit = outermost(id);
    const size = sizes?.[i];
    if (!weightOf.has(unit)) {
      units.push(unit);
      weightOf.set(unit, 0);
    }
    weightOf.set(unit, weightOf.get(unit) + (Number.isFinite(size) && size > 0 ? size : 0));
  });
  const known = units.map((u) => weightOf.get(u)).filter((w) => w > 0);
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const weights = units.map((u) => (weightOf.get(u) > 0 ? weightOf.get(u) / mean : 1));
  const wanted = request.workers === 'auto' ? request.max_workers : request.workers;
  const n = Math.max(1, Math.min(wanted, units.length));
  const order = units.map((_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
  const loads = new Array(n).fill(0);
  const groupOf = new Array(units.length);
  for (const i of order) {
    let best = 0;
    for (let g = 1; g < n; g += 1) if (loads[g] < loads[best]) best = g;
    groupOf[i] = best;
    loads[best] += weights[i];
  }
  const groups = loads.map((load, g) => ({
    index: g + 1,
    tests: units.filter((_, i) => groupOf[i] === g),
    predicted_seconds: load,
    estimated_tests: units.filter((_, i) => groupOf[i] === g).length,
  }));
  const total = weights.reduce((a, b) => a + b, 0);
  const sorted = [...weights].sort((a, b) => b - a);
  const lower = Math.max(total / n, sorted[0] ?? 0, (sorted[n - 1] ?? 0) + (sorted[n] ?? 0));
  const predicted = Math.max(0, ...loads);
  const overhead = request.job_overhead_seconds ?? 0;
  return {
    version: 1,
    workers: n,
    requested_workers: request.workers,
    granularity: request.granularity,
    tests: units.length,
    estimated_tests: units.length,
    lower_bound_seconds: lower,
    predicted_seconds: predicted,
    total_seconds: total,
    job_overhead_seconds: overhead,
    predicted_wall_seconds: predicted + overhead,
    job_seconds: total + n * overhead,
    groups,
    candidates: [],
    auto:
      request.workers === 'auto'
        ? {
            target_seconds: request.target_seconds,
            max_workers: request.max_workers,
            reason: 'the core could not run: max-workers, capped by the number of tests',
          }
        : null,
    warnings: ['planned without the core: weights are relative file sizes, not seconds'],
  };
}
