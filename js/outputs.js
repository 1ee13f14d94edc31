// What the split hands to the workflow: the matrix (one shell-word string of tests per worker), the plan JSON,
// the size check against the job-output limit, the invariant guard (every test exactly once), and the helpers that
// keep untrusted test ids out of log-line starts.

/** GitHub's limit for all outputs of one job, in bytes, where a string counts 2 bytes per UTF-16 code unit. */
export const JOB_OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** Part of the limit left to the other outputs the user's job may set. */
export const JOB_OUTPUT_HEADROOM_BYTES = 48 * 1024;

/**
 * Largest `tests` string of one matrix entry, in UTF-8 bytes. Workers pass it through `env:`, and Linux refuses to
 * start a process with one environment string over 128 KiB (MAX_ARG_STRLEN, `TESTS=` and the NUL included):
 * `Argument list too long`. Larger lists go through select mode and its `tests-file` output instead.
 */
export const ENV_VALUE_LIMIT_BYTES = 128 * 1024 - 1024;

/** Characters that never need quoting in a POSIX shell word (no expansion, splitting or globbing). */
const SAFE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * One id as one POSIX shell word: unchanged when every character is in `A-Za-z0-9_./:=@%+,-`, else in single
 * quotes with each `'` written as `'\''`. Inside single quotes nothing is special, newlines included.
 */
export function shellQuote(id) {
  if (SAFE_WORD.test(id)) return id;
  return `'${id.replaceAll("'", "'\\''")}'`;
}

/** The ids as one string of shell words separated by single spaces; read it back with `eval "set -- $TESTS"`. */
export function shellJoin(ids) {
  return ids.map(shellQuote).join(' ');
}

/** Size of a string as GitHub counts job outputs: 2 bytes per UTF-16 code unit. */
export function utf16Bytes(text) {
  return text.length * 2;
}

/** The matrix with every worker's tests inline. Empty groups (more workers than tests) are left out. */
export function inlineMatrix(plan) {
  return {
    include: plan.groups.filter((g) => g.tests.length > 0).map((g) => ({ index: g.index, tests: shellJoin(g.tests) })),
  };
}

/** The matrix of select mode: indices only; each worker gets its tests from a `mode: select` step. */
export function selectMatrix(plan) {
  return { include: plan.groups.filter((g) => g.tests.length > 0).map((g) => ({ index: g.index, select: true })) };
}

/** The plan output of select mode: the plan without the test lists, pointing at the cache entry that has them. */
export function strippedPlan(plan, storedPlanKey) {
  return {
    ...plan,
    groups: plan.groups.map((g) => ({ ...g, tests: [] })),
    stored_plan_key: storedPlanKey,
  };
}

/**
 * Decides how the plan leaves the job. Both `matrix` and `plan` may become job outputs, so both count against the
 * job-output limit; and each entry's `tests` must fit one environment variable (ENV_VALUE_LIMIT_BYTES).
 * Returns { select: false, matrix, planJson, bytes } when all fit, else { select: true, bytes, reason } — then the
 * caller stores the plan and builds the outputs with selectMatrix/strippedPlan.
 */
export function fitOutputs(plan, limit = JOB_OUTPUT_LIMIT_BYTES - JOB_OUTPUT_HEADROOM_BYTES, envLimit = ENV_VALUE_LIMIT_BYTES) {
  // Every entry is in the plan's JSON at least once with its quotes and in the matrix at least once as it is: when
  // that alone is over the limit, the outputs are not built to be measured (for 200k tests that was ~170 ms of
  // quoting and serialising 40 MB that could never be used).
  let atLeast = 0;
  for (const g of plan.groups) for (const t of g.tests) atLeast += utf16Bytes(t) * 2 + 4;
  if (atLeast > limit) {
    return {
      select: true,
      bytes: atLeast,
      limit,
      reason: `the matrix and plan need at least ${atLeast} bytes of job outputs, over the ${limit} this step allows (GitHub: ${JOB_OUTPUT_LIMIT_BYTES} per job)`,
    };
  }
  const inline = inlineMatrix(plan);
  const matrix = JSON.stringify(inline);
  const planJson = JSON.stringify(plan);
  const bytes = utf16Bytes(matrix) + utf16Bytes(planJson);
  if (bytes > limit) {
    return {
      select: true,
      bytes,
      limit,
      reason: `the matrix and plan need ${bytes} bytes of job outputs, over the ${limit} this step allows (GitHub: ${JOB_OUTPUT_LIMIT_BYTES} per job)`,
    };
  }
  const widest = inline.include.reduce((max, e) => Math.max(max, Buffer.byteLength(e.tests)), 0);
  if (widest > envLimit) {
    return {
      select: true,
      bytes,
      limit,
      reason: `one worker's test list is ${widest} bytes, over the ${envLimit} one environment variable can pass to a process on Linux`,
    };
  }
  return { select: false, matrix, planJson, bytes };
}

/** The tests of one worker of a plan, or null when the plan has no such worker. */
export function groupTests(plan, index) {
  const group = plan.groups.find((g) => g.index === index);
  return group ? group.tests : null;
}

/** How many `::` separate the parts of `id`, found left to right as the guard cuts ids. */
function depthOf(id) {
  let depth = 0;
  for (let cut = id.indexOf('::'); cut !== -1; cut = id.indexOf('::', cut + 2)) depth += 1;
  return depth;
}

/**
 * The invariant guard: the plan must run every discovered test exactly once. A group entry is a unit: a test id
 * itself or a prefix of it ending before a `::` (a file or a suite). Checks: no entry twice; every discovered test
 * covered by exactly one entry; every entry covering at least one discovered test. Returns a list of problems
 * (empty when the plan is sound), each one line, ids JSON-quoted.
 *
 * A prefix is looked up only when some entry has as many `::` as it does (a test-granularity plan of ids at one
 * depth then cuts nothing), and entries are marked used in an array by their index. On the scale suite's 201,355
 * ids (64 groups, 8 alternating runs in one process) that took the median from 408 to 289 ms by test and from 106
 * to 70 ms by file, against a lookup of every prefix and a set of used entries; the problems found are the same (a
 * test compares the two on random plans).
 */
export function checkCoverage(plan, discovered) {
  const problems = [];
  // Each entry's index, the worker it is in, and the depths entries have.
  const index = new Map();
  const workerOf = [];
  const depths = new Set();
  for (const group of plan.groups) {
    for (const entry of group.tests) {
      const k = index.get(entry);
      if (k !== undefined) {
        problems.push(`${JSON.stringify(entry)} is in worker ${workerOf[k]} and worker ${group.index}`);
        continue;
      }
      index.set(entry, workerOf.length);
      workerOf.push(group.index);
      depths.add(depthOf(entry));
    }
  }
  const used = new Uint8Array(workerOf.length);
  for (const id of discovered) {
    let covering = 0;
    const own = index.get(id);
    if (own !== undefined) {
      covering += 1;
      used[own] = 1;
    }
    let depth = 0;
    for (let cut = id.indexOf('::'); cut !== -1; cut = id.indexOf('::', cut + 2)) {
      if (depths.has(depth)) {
        const k = index.get(id.slice(0, cut));
        if (k !== undefined) {
          covering += 1;
          used[k] = 1;
        }
      }
      depth += 1;
    }
    if (covering === 0) problems.push(`${JSON.stringify(id)} is in no worker`);
    if (covering > 1) problems.push(`${JSON.stringify(id)} is covered ${covering} times`);
  }
  for (const [entry, k] of index) {
    if (!used[k]) problems.push(`${JSON.stringify(entry)} was not discovered`);
  }
  return problems;
}

/**
 * A warning when some group entries start with `-`: each stays one shell word, but a test runner may read it as an
 * option. Returns null when there are none.
 */
export function optionLikeWarning(plan) {
  const dashed = plan.groups.flatMap((g) => g.tests).filter((t) => t.startsWith('-'));
  if (dashed.length === 0) return null;
  const first = dashed.slice(0, 3).map((t) => JSON.stringify(t)).join(', ');
  return (
    `${dashed.length} test ${dashed.length === 1 ? 'entry starts' : 'entries start'} with \`-\` (${first}` +
    `${dashed.length > 3 ? ', …' : ''}): a test runner may read ${dashed.length === 1 ? 'it' : 'them'} as an option; ` +
    'put `--` before the test list if your runner accepts it (e.g. `pytest -- "$@"`)'
  );
}

/**
 * Makes text from untrusted sources (test ids, file names, core warnings) safe for a log line: control characters
 * (newlines included) become escapes, so nothing can start a new line, and the result is meant to follow a fixed
 * prefix such as "  - ", so no line starts with `::` (a workflow command).
 */
export function logSafe(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A log line for untrusted text: a fixed prefix, then the escaped text. */
export function logLine(prefix, text) {
  return `${prefix}${logSafe(text)}`;
}

/** Seconds as a short fixed-width-friendly string for the log and the CLI table. */
export function shortSeconds(seconds) {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 100) return `${seconds.toFixed(1)} s`;
  if (seconds < 6000) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A text bar of `width` cells for value/max in eighths of a block. */
export function textBar(value, max, width = 30) {
  if (!(max > 0) || !(value > 0)) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

/**
 * The plan as a readable table (the action's log and the CLI without --json): a header line, one line per worker
 * (tests, estimated, predicted seconds, a bar), and the bound / wall-time line. No test ids.
 */
export function textTable(plan) {
  const rows = [];
  rows.push(
    `${plan.workers} ${plan.workers === 1 ? 'worker' : 'workers'} (${plan.auto ? 'auto' : 'fixed'}), ` +
      `granularity ${plan.granularity}, ${plan.tests} tests (${plan.estimated_tests ?? 0} estimated)`,
  );
  if (plan.auto?.reason) rows.push(`  auto chose ${logSafe(plan.auto.reason)}`);
  const max = Math.max(0, ...plan.groups.map((g) => g.predicted_seconds));
  const testsWidth = Math.max(5, ...plan.groups.map((g) => String(g.tests.length).length));
  rows.push(`  worker  ${'tests'.padStart(testsWidth)}  estimated  predicted`);
  for (const g of plan.groups) {
    rows.push(
      `  ${String(g.index).padStart(6)}  ${String(g.tests.length).padStart(testsWidth)}  ` +
        `${String(g.estimated_tests ?? 0).padStart(9)}  ${shortSeconds(g.predicted_seconds).padStart(9)}  ` +
        textBar(g.predicted_seconds, max),
    );
  }
  const gap =
    plan.lower_bound_seconds > 0
      ? ` (${(((plan.predicted_seconds - plan.lower_bound_seconds) / plan.lower_bound_seconds) * 100).toFixed(1)} % over)`
      : '';
  rows.push(
    `  lower bound ${shortSeconds(plan.lower_bound_seconds)}, slowest worker ${shortSeconds(plan.predicted_seconds)}${gap}; ` +
      `wall ${shortSeconds(plan.predicted_wall_seconds)} with ${shortSeconds(plan.job_overhead_seconds)} overhead per job; ` +
      `${(plan.job_seconds / 60).toFixed(1)} job-minutes`,
  );
  return rows.join('\n');
}
