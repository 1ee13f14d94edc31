// Action inputs → one validated plain object. No I/O: the caller passes a getter (core.getInput in the action, a
// map in tests), so every rule here is testable as a table. Error messages name the input and quote the value.

/** The action's input names, exactly as in action.yml. */
export const INPUT = Object.freeze({
  MODE: 'mode',
  TESTS: 'tests',
  TESTS_FILE: 'tests-file',
  GRANULARITY: 'granularity',
  WORKERS: 'workers',
  TARGET_SECONDS: 'target-seconds',
  JOB_OVERHEAD_SECONDS: 'job-overhead-seconds',
  MAX_WORKERS: 'max-workers',
  TIMINGS: 'timings',
  REPORTS: 'reports',
  INDEX: 'index',
  PLAN: 'plan',
  CACHE_KEY: 'cache-key',
  PRUNE_AFTER_RUNS: 'prune-after-runs',
  WORKING_DIRECTORY: 'working-directory',
  SUMMARY: 'summary',
});

/** Defaults, shared with the CLI (action.yml repeats them for the docs; a test checks they agree). */
export const DEFAULTS = Object.freeze({
  mode: 'split',
  granularity: 'file',
  workers: 'auto',
  targetSeconds: 300,
  jobOverheadSeconds: 60,
  maxWorkers: 20,
  cacheKey: 'default',
  pruneAfterRuns: 30,
  workingDirectory: '.',
});

/** The most workers a GitHub matrix can have. */
export const MAX_MATRIX = 256;

const MODES = ['split', 'record', 'select'];
const GRANULARITIES = ['file', 'suite', 'test'];

/**
 * A problem with what the user asked for. The only kind of error that fails the step; everything else degrades to
 * a warning. `input` is the input's name, `detail` the explanation without the name, so the CLI can say `--workers`
 * where the action says "Input `workers`".
 */
export class InputError extends Error {
  constructor(input, detail) {
    super(`Input \`${input}\`: ${detail}`);
    this.name = 'InputError';
    this.input = input;
    this.detail = detail;
  }
}

/** Quotes a user value for an error message: one line, at most 80 characters. */
export function shown(value) {
  const flat = JSON.stringify(String(value)).slice(1, -1);
  const cut = flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
  return `\`${cut.replaceAll('`', "'")}\``;
}

/** Parses a whole number in [min, max]; `what` words the range for the message. */
export function parseInteger(raw, input, min, max) {
  const text = String(raw).trim();
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError(input, `expected a whole number from ${min} to ${max}, got ${shown(raw)}`);
  }
  return value;
}

/** Parses a decimal number of seconds in [min, max] (no exponents, no units). */
export function parseSeconds(raw, input, min, max) {
  const text = String(raw).trim();
  const value = /^\d{1,9}(\.\d{1,9})?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InputError(input, `expected a number of seconds from ${min} to ${max}, got ${shown(raw)}`);
  }
  return value;
}

/** `auto` or a whole number 1..256. */
export function parseWorkers(raw, input = INPUT.WORKERS) {
  const text = String(raw).trim().toLowerCase();
  if (text === 'auto') return 'auto';
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_MATRIX) {
    throw new InputError(input, `expected a number from 1 to ${MAX_MATRIX} or \`auto\`, got ${shown(raw)}`);
  }
  return value;
}

/** One of a fixed list of words (case-insensitive). */
export function parseChoice(raw, input, choices) {
  const text = String(raw).trim().toLowerCase();
  if (!choices.includes(text)) {
    const list = choices.map((c) => `\`${c}\``).join(', ');
    throw new InputError(input, `expected one of ${list}, got ${shown(raw)}`);
  }
  return text;
}

/** `true`/`false` in the spellings YAML 1.2 core schema knows (what core.getBooleanInput accepts). */
export function parseBoolean(raw, input) {
  const text = String(raw).trim();
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new InputError(input, `expected \`true\` or \`false\`, got ${shown(raw)}`);
}

/** A cache namespace: it becomes part of a cache key, which must not contain commas and has a length limit. */
export function parseCacheKey(raw, input = INPUT.CACHE_KEY) {
  const text = String(raw).trim();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) {
    throw new InputError(input, `expected 1 to 64 letters, digits, \`.\`, \`_\` or \`-\`, got ${shown(raw)}`);
  }
  return text;
}

/** Splits a multi-line input into its non-blank, trimmed lines. */
export function lines(raw) {
  return String(raw)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * Reads and validates every input. `get(name)` returns the raw string ('' when unset, like core.getInput).
 * Returns a plain object; throws InputError for the first problem found.
 */
export function readInputs(get) {
  const raw = (name) => String(get(name) ?? '').trim();
  const or = (name, fallback) => (raw(name) === '' ? String(fallback) : raw(name));

  const mode = parseChoice(or(INPUT.MODE, DEFAULTS.mode), INPUT.MODE, MODES);
  const inputs = {
    mode,
    tests: lines(get(INPUT.TESTS) ?? ''),
    testsFile: raw(INPUT.TESTS_FILE),
    granularity: parseChoice(or(INPUT.GRANULARITY, DEFAULTS.granularity), INPUT.GRANULARITY, GRANULARITIES),
    workers: parseWorkers(or(INPUT.WORKERS, DEFAULTS.workers)),
    targetSeconds: parseSeconds(or(INPUT.TARGET_SECONDS, DEFAULTS.targetSeconds), INPUT.TARGET_SECONDS, 1, 604800),
    jobOverheadSeconds: parseSeconds(
      or(INPUT.JOB_OVERHEAD_SECONDS, DEFAULTS.jobOverheadSeconds),
      INPUT.JOB_OVERHEAD_SECONDS,
      0,
      86400,
    ),
    maxWorkers: parseInteger(or(INPUT.MAX_WORKERS, DEFAULTS.maxWorkers), INPUT.MAX_WORKERS, 1, MAX_MATRIX),
    timings: lines(get(INPUT.TIMINGS) ?? ''),
    reports: lines(get(INPUT.REPORTS) ?? ''),
    index: null,
    plan: raw(INPUT.PLAN),
    cacheKey: parseCacheKey(or(INPUT.CACHE_KEY, DEFAULTS.cacheKey)),
    pruneAfterRuns: parseInteger(
      or(INPUT.PRUNE_AFTER_RUNS, DEFAULTS.pruneAfterRuns),
      INPUT.PRUNE_AFTER_RUNS,
      0,
      100000,
    ),
    workingDirectory: or(INPUT.WORKING_DIRECTORY, DEFAULTS.workingDirectory),
    summary: parseBoolean(or(INPUT.SUMMARY, 'true'), INPUT.SUMMARY),
  };

  if (mode === 'split') {
    if (inputs.tests.length === 0 && inputs.testsFile === '') {
      throw new InputError(INPUT.TESTS, 'split mode needs the tests: set `tests` (globs) or `tests-file`');
    }
    if (inputs.tests.length > 0 && inputs.testsFile !== '') {
      throw new InputError(INPUT.TESTS_FILE, 'set either `tests` or `tests-file`, not both');
    }
    if (inputs.granularity !== 'file' && inputs.testsFile === '') {
      // Globs find files; a finer unit needs test ids.
      throw new InputError(
        INPUT.GRANULARITY,
        `\`${inputs.granularity}\` needs test ids from \`tests-file\`; globs find files (use \`file\`)`,
      );
    }
  }
  if (mode === 'record' && inputs.reports.length === 0) {
    throw new InputError(INPUT.REPORTS, 'record mode needs the test reports of this run (globs)');
  }
  if (mode === 'select') {
    if (raw(INPUT.INDEX) === '') {
      throw new InputError(INPUT.INDEX, 'select mode needs the worker index (usually `${{ matrix.index }}`)');
    }
    inputs.index = parseInteger(raw(INPUT.INDEX), INPUT.INDEX, 1, MAX_MATRIX);
  }
  if (inputs.plan !== '') {
    try {
      inputs.plan = JSON.parse(inputs.plan);
    } catch (error) {
      throw new InputError(INPUT.PLAN, `expected the \`plan\` output of a split step (JSON): ${error.message}`);
    }
    if (!isPlanShaped(inputs.plan)) {
      throw new InputError(INPUT.PLAN, 'expected the `plan` output of a split step: no `groups` list in it');
    }
  } else {
    inputs.plan = null;
  }
  return inputs;
}

/** True for an object that looks like the plan JSON (what select and record read from it). */
export function isPlanShaped(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    Array.isArray(value.groups) &&
    value.groups.every((g) => g && Number.isInteger(g.index) && Array.isArray(g.tests))
  );
}
