#!/usr/bin/env node
// The command line: the action's engine for local previews and other CI systems. Arguments instead of inputs,
// files instead of the cache. Exit codes: 0 ok, 2 usage or input error, 1 anything else. Warnings go to stderr,
// results to stdout.

import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULTS,
  InputError,
  parseChoice,
  parseInteger,
  parseSeconds,
  parseWorkers,
  MAX_MATRIX,
} from './inputs.js';
import { globFiles, isPlainPath, matchFiles, readTestList, testSizes } from './discover.js';
import { engineVersion, parseAhead, plan as corePlan, record as coreRecord } from './engine.js';
import { checkCoverage, logSafe, textTable } from './outputs.js';

const USAGE = `timeshard — split a test suite across parallel CI jobs by time

Usage:
  timeshard split [options] [GLOB...]
  timeshard record --store STORE [--out FILE] [--prune-after-runs N] REPORT...
  timeshard --help | --version

split: plans the split and prints a table (or the plan JSON with --json).
  GLOB...                      test files (quote globs: 'test/**/*.test.mjs'); each file is one test id
  --tests-file FILE            one test id per line instead (e.g. pytest --collect-only -q output)
                               without GLOB and --tests-file, the tests are those in the timing data
  --workers N|auto             1..256 or auto (default ${DEFAULTS.workers})
  --timings FILE               a timing file or glob (JUnit XML, .test_durations, ...); repeatable
  --store STORE                a timing store written by \`record\`
  --granularity G              file, suite or test (default ${DEFAULTS.granularity})
  --target-seconds S           auto: the wall time to aim for (default ${DEFAULTS.targetSeconds})
  --job-overhead-seconds S     seconds per job outside the tests (default ${DEFAULTS.jobOverheadSeconds})
  --max-workers N              auto: the largest worker count (default ${DEFAULTS.maxWorkers})
  --root DIR                   a path prefix to strip from paths in reports; repeatable (default: cwd)
  --json                       print the plan JSON
  --list                       with the table, list each worker's tests

record: merges reports (one CI run; several files = several workers) into the store.
  --store STORE                read if it exists; written back unless --out is given (missing directories are made)
  --out FILE                   where to write the new store (missing directories are made)
  --prune-after-runs N         drop tests no report mentioned for N runs; 0 keeps them (default ${DEFAULTS.pruneAfterRuns})
  --json                       print the record summary JSON
`;

/** A command-line problem: printed with the usage hint, exit code 2. */
class UsageError extends Error {}

/** Rewords an InputError of the shared validators for the command line (`--workers` instead of input `workers`). */
function asOption(error) {
  if (error instanceof InputError) return new UsageError(`--${error.input}: ${error.detail}`);
  return error;
}

/**
 * @actions/glob logs `::debug::` lines through @actions/core to stdout; on a terminal or in --json output those
 * are noise, so the CLI drops exactly those lines while it globs.
 */
async function withoutActionsDebug(fn) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('::debug::')) return true;
    return write(chunk, ...rest);
  };
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

function warn(message) {
  process.stderr.write(`warning: ${logSafe(message)}\n`);
}

const SPLIT_OPTIONS = {
  workers: { type: 'string' },
  timings: { type: 'string', multiple: true },
  store: { type: 'string' },
  'tests-file': { type: 'string' },
  granularity: { type: 'string' },
  'target-seconds': { type: 'string' },
  'job-overhead-seconds': { type: 'string' },
  'max-workers': { type: 'string' },
  root: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const RECORD_OPTIONS = {
  store: { type: 'string' },
  out: { type: 'string' },
  'prune-after-runs': { type: 'string' },
  root: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function parse(args, options) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
}

/** A store file for the core to read itself ({ path, size }), or null without one; one that is not there is an error. */
function storeFile(file, what) {
  if (file === undefined) return null;
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    throw new UsageError(`${what} ${JSON.stringify(file)}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  }
  if (!stat.isFile()) throw new UsageError(`${what} ${JSON.stringify(file)}: not a file`);
  return { path: file, size: stat.size };
}

async function split(args, out) {
  const { values, positionals } = parse(args, SPLIT_OPTIONS);
  if (values.help) {
    out.stdout(USAGE);
    return 0;
  }
  const cwd = process.cwd();
  let workers;
  let granularity;
  let targetSeconds;
  let jobOverheadSeconds;
  let maxWorkers;
  try {
    workers = parseWorkers(values.workers ?? DEFAULTS.workers, 'workers');
    granularity = parseChoice(values.granularity ?? DEFAULTS.granularity, 'granularity', ['file', 'suite', 'test']);
    targetSeconds = parseSeconds(values['target-seconds'] ?? DEFAULTS.targetSeconds, 'target-seconds', 1, 604800);
    jobOverheadSeconds = parseSeconds(
      values['job-overhead-seconds'] ?? DEFAULTS.jobOverheadSeconds,
      'job-overhead-seconds',
      0,
      86400,
    );
    maxWorkers = parseInteger(values['max-workers'] ?? DEFAULTS.maxWorkers, 'max-workers', 1, MAX_MATRIX);
  } catch (error) {
    throw asOption(error);
  }
  if (values['tests-file'] !== undefined && positionals.length > 0) {
    throw new UsageError('give either test globs or --tests-file, not both');
  }

  let tests = null;
  if (values['tests-file'] !== undefined) {
    let list;
    try {
      list = await readTestList(values['tests-file'], cwd);
    } catch (error) {
      throw new UsageError(`--tests-file ${JSON.stringify(values['tests-file'])}: ${error.message}`);
    }
    if (list.ids.length === 0) throw new UsageError(`--tests-file ${JSON.stringify(values['tests-file'])} lists no tests`);
    if (list.duplicates.length > 0) warn(`${list.duplicates.length} duplicate test ids dropped`);
    tests = list.ids;
  } else if (positionals.length > 0) {
    tests = await withoutActionsDebug(() => globFiles(positionals, cwd));
    if (tests.length === 0) throw new UsageError(`no test file matched ${positionals.map((p) => JSON.stringify(p)).join(', ')}`);
  }

  const timingPatterns = values.timings ?? [];
  // A plain path (what globFiles takes as a path, not a glob) must exist; a glob may match nothing.
  for (const p of timingPatterns) {
    if (isPlainPath(p) && !existsSync(p)) throw new UsageError(`--timings ${JSON.stringify(p)}: no such file`);
  }
  // Matched, not read: the core reads them straight into its memory (js/engine.js plan).
  const timings = await withoutActionsDebug(() => matchFiles(timingPatterns, cwd, 'timing file'));
  timings.warnings.forEach(warn);
  const roots = values.root?.map((r) => path.resolve(r)) ?? [cwd];
  // Large timing files are parsed in threads from now on (js/parse-threads.js).
  const ahead = parseAhead(timings.files, roots);
  const store = storeFile(values.store, '--store');
  if (tests === null && timings.files.length === 0 && store === null) {
    throw new UsageError('no tests: give test globs, --tests-file, or timing data (--timings / --store) to take them from');
  }

  const request = {
    tests,
    sizes: null,
    sizesWhenNeeded: tests === null ? undefined : () => testSizes(tests, cwd),
    timings: timings.files,
    parseAhead: ahead,
    store,
    granularity,
    workers,
    target_seconds: targetSeconds,
    job_overhead_seconds: jobOverheadSeconds,
    max_workers: maxWorkers,
    roots,
  };
  let plan;
  try {
    plan = corePlan(request);
  } catch (error) {
    throw asOption(error);
  }
  const problems = tests === null ? duplicateProblems(plan) : checkCoverage(plan, tests);
  if (problems.length > 0) {
    throw new Error(`the plan does not run every test exactly once (a bug): ${problems.slice(0, 5).join('; ')}`);
  }
  (plan.warnings ?? []).forEach(warn);
  if (values.json) {
    out.stdout(`${JSON.stringify(plan, null, 2)}\n`);
    return 0;
  }
  out.stdout(`${textTable(plan)}\n`);
  if (values.list) {
    for (const g of plan.groups) {
      out.stdout(`\nworker ${g.index}:\n`);
      for (const id of g.tests) out.stdout(`  - ${logSafe(id)}\n`);
    }
  }
  return 0;
}

/** Without discovered tests the guard can only check that no unit is in two groups. */
function duplicateProblems(plan) {
  const seen = new Set();
  const problems = [];
  for (const g of plan.groups) {
    for (const id of g.tests) {
      if (seen.has(id)) problems.push(`${JSON.stringify(id)} is in two workers`);
      seen.add(id);
    }
  }
  return problems;
}

async function record(args, out) {
  const { values, positionals } = parse(args, RECORD_OPTIONS);
  if (values.help) {
    out.stdout(USAGE);
    return 0;
  }
  if (values.store === undefined) throw new UsageError('record needs --store STORE (it is created when missing)');
  if (positionals.length === 0) throw new UsageError('record needs at least one REPORT');
  let prune;
  try {
    prune = parseInteger(values['prune-after-runs'] ?? DEFAULTS.pruneAfterRuns, 'prune-after-runs', 0, 100000);
  } catch (error) {
    throw asOption(error);
  }
  const cwd = process.cwd();
  for (const p of positionals) {
    if (isPlainPath(p) && !existsSync(p)) throw new UsageError(`report ${JSON.stringify(p)}: no such file`);
  }
  // Where the new store goes: its directory is made now (as `mkdir -p`), so that a path that cannot be written
  // fails before the reports are read, not after.
  const targetOption = values.out === undefined ? '--store' : '--out';
  const target = values.out ?? values.store;
  try {
    mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  } catch (error) {
    throw new UsageError(`${targetOption} ${JSON.stringify(target)}: cannot create its directory (${error.code ?? error.message})`);
  }
  const reports = await withoutActionsDebug(() => matchFiles(positionals, cwd, 'report'));
  reports.warnings.forEach(warn);
  if (reports.files.length === 0) throw new UsageError('no report to record');
  const roots = values.root?.map((r) => path.resolve(r)) ?? [cwd];
  const ahead = parseAhead(reports.files, roots);
  const store = existsSync(values.store) ? storeFile(values.store, '--store') : null;
  let result;
  try {
    result = coreRecord({
      store,
      reports: reports.files,
      parseAhead: ahead,
      roots,
      prune_after_runs: prune,
    });
  } catch (error) {
    throw asOption(error);
  }
  try {
    writeFileSync(target, result.store);
  } catch (error) {
    throw new Error(`${targetOption} ${JSON.stringify(target)}: the store could not be written (${error.code ?? error.message})`);
  }
  const s = result.summary;
  (s.warnings ?? []).forEach(warn);
  for (const r of s.reports ?? []) (r.warnings ?? []).forEach((w) => warn(`${r.name}: ${w}`));
  if (values.json) {
    out.stdout(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  out.stdout(
    `recorded ${s.recorded} tests from ${reports.files.length} reports into ${target}: ` +
      `${s.tests} tests over ${s.runs} runs (${s.new_tests} new, ${s.updated_tests} updated, ` +
      `${s.pruned_tests} pruned, ${s.missing_count} not in these reports)\n`,
  );
  return 0;
}

/** Runs the CLI with `argv` (without node and the script); returns the exit code. */
export async function main(argv, out = defaultOut()) {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === 'version') {
      out.stdout(`timeshard ${engineVersion()}\n`);
      return 0;
    }
    if (command === 'split') return await split(rest, out);
    if (command === 'record') return await record(rest, out);
    throw new UsageError(`unknown command ${JSON.stringify(command)} (expected split or record)`);
  } catch (error) {
    if (error instanceof UsageError) {
      out.stderr(`timeshard: ${logSafe(error.message)}\nRun \`timeshard --help\` for the options.\n`);
      return 2;
    }
    out.stderr(`timeshard: ${logSafe(error.message)}\n`);
    return 1;
  }
}

function defaultOut() {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

// Run when executed (dist/cli.js or js/cli.js), not when imported by a test.
function invokedDirectly() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  // A reader that stops early (`timeshard split --json | head`) closes the pipe: the rest of the output has nowhere
  // to go, which is not an error of ours (Node would otherwise end with an unhandled 'error' event and its stack).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
  process.exitCode = await main(process.argv.slice(2));
}
