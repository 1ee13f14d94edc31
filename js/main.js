// Orchestration of the three modes. One top-level catch: an InputError (or a broken plan invariant, or a select
// step that cannot find its tests) fails the step; everything else on the way degrades to a warning — no cache, a
// broken timing file or an engine failure makes the split less balanced, never wrong, and record never fails a build.

import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { InputError, INPUT, isPlanShaped, readInputs } from './inputs.js';
import { globFiles, matchFiles, readTestList, testSizes } from './discover.js';
import { engineVersion, parseAhead, parseThreadsUsed, planDegrading, record as coreRecord } from './engine.js';
import {
  checkCoverage,
  optionLikeWarning,
  fitOutputs,
  groupTests,
  ENV_VALUE_LIMIT_BYTES,
  logLine,
  logSafe,
  selectMatrix,
  shellJoin,
  strippedPlan,
  textTable,
  utf16Bytes,
} from './outputs.js';
import { recordSummary, selectSummary, splitSummary } from './summary.js';
import { abandonedOperations, restorePlan, restoreStore, savePlan, saveStore } from './store.js';

/** Warnings shown as annotations; the rest go to the log (GitHub shows only 10 annotations of a kind per step). */
const MAX_ANNOTATIONS = 10;

/** A plan that breaks the "every test exactly once" promise: a bug, always fatal. */
export class PlanInvariantError extends Error {
  constructor(problems) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    super(`the plan does not run every discovered test exactly once (a timeshard bug, please report it): ${shown}${more}`);
    this.name = 'PlanInvariantError';
  }
}

/** A failure that must fail the step even though it is not the user's input (the workflow cannot go on). */
export class FatalError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FatalError';
  }
}

/** The run's context from the environment. */
export function context(env = process.env) {
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  return {
    workspace,
    temp: path.resolve(env.RUNNER_TEMP || os.tmpdir()),
    runId: env.GITHUB_RUN_ID || 'local',
    attempt: env.GITHUB_RUN_ATTEMPT || '1',
  };
}

/** Logs warnings: the first few as annotations (escaped by @actions/core), the rest as prefixed log lines. */
export function warnAll(warnings, counter = { n: 0 }) {
  for (const w of warnings) {
    counter.n += 1;
    if (counter.n <= MAX_ANNOTATIONS) core.warning(String(w));
    else core.info(logLine('  warning: ', w));
  }
}

/**
 * Restores the timing store; any failure is a warning and an empty store. `file` is the restored file
 * ({ path, size }) for the core to read straight into its memory, or null.
 */
async function restoreStoreSafely(scope) {
  try {
    const result = await restoreStore({ scope, read: false });
    return { file: result?.file ?? null, key: result?.key ?? null, warnings: result?.warnings ?? [] };
  } catch (error) {
    return { file: null, key: null, warnings: [`the timing store could not be restored: ${error.message}`] };
  }
}

/** Discovers the tests of a split: ids (sorted for globs, file order for a list) and how to find their sizes. */
async function discoverTests(inputs, base) {
  const warnings = [];
  let ids;
  if (inputs.tests.length > 0) {
    ids = await globFiles(inputs.tests, base);
    if (ids.length === 0) {
      const list = inputs.tests.map((p) => JSON.stringify(p)).join(', ');
      throw new InputError(INPUT.TESTS, `no file matched ${list} in ${JSON.stringify(base)}`);
    }
  } else {
    let list;
    try {
      list = await readTestList(inputs.testsFile, base);
    } catch (error) {
      throw new InputError(INPUT.TESTS_FILE, `cannot read ${JSON.stringify(inputs.testsFile)}: ${error.message}`);
    }
    if (list.ids.length === 0) {
      throw new InputError(INPUT.TESTS_FILE, `${JSON.stringify(inputs.testsFile)} lists no test ids`);
    }
    if (list.duplicates.length > 0) {
      warnings.push(
        `${list.duplicates.length} duplicate test ids in ${inputs.testsFile} were dropped, first: ` +
          JSON.stringify(list.duplicates[0]),
      );
    }
    ids = list.ids;
  }
  return { ids, sizesWhenNeeded: () => testSizes(ids, base), warnings };
}

/** Says in the log how much parse threads did for the last core call (js/parse-threads.js), if it had any. */
function logParseThreads() {
  const used = parseThreadsUsed();
  if (used) core.info(`parse threads: ${used.threads} parsed ${used.parsed} of ${used.reports} reports`);
}

/** split: restore → timings → discover → plan → guard → outputs + summary. */
async function split(inputs, ctx, base) {
  const warnings = [];
  const roots = [...new Set([base, ctx.workspace])];
  // Matched, not read: the core reads them straight into its memory (js/engine.js plan), or parse threads do while
  // the store is restored.
  const timings = await matchFiles(inputs.timings, base, 'timing file');
  warnings.push(...timings.warnings);
  const ahead = parseAhead(timings.files, roots);
  const restored = await restoreStoreSafely(inputs.cacheKey);
  warnings.push(...restored.warnings);
  core.info(restored.key ? `timing store: restored ${logSafe(restored.key)}` : 'timing store: none restored');

  const found = await discoverTests(inputs, base);
  warnings.push(...found.warnings);
  core.info(
    `discovered ${found.ids.length} tests; ${timings.files.length} timing ${timings.files.length === 1 ? 'file' : 'files'}`,
  );

  const request = {
    tests: found.ids,
    sizes: null,
    sizesWhenNeeded: found.sizesWhenNeeded,
    timings: timings.files,
    parseAhead: ahead,
    store: restored.file,
    granularity: inputs.granularity,
    workers: inputs.workers,
    target_seconds: inputs.targetSeconds,
    job_overhead_seconds: inputs.jobOverheadSeconds,
    max_workers: inputs.maxWorkers,
    roots,
  };
  const planned = planDegrading(request);
  warnings.push(...planned.warnings);
  logParseThreads();
  const plan = planned.plan;

  const problems = checkCoverage(plan, found.ids);
  if (problems.length > 0) throw new PlanInvariantError(problems);
  const optionLike = optionLikeWarning(plan);
  if (optionLike) warnings.push(optionLike);

  core.info(textTable(plan));
  const counter = { n: 0 };
  warnAll(warnings, counter);
  warnAll(plan.warnings ?? [], counter);

  const fit = fitOutputs(plan);
  let matrix;
  let planJson;
  let storedPlanKey = null;
  if (!fit.select) {
    matrix = fit.matrix;
    planJson = fit.planJson;
  } else {
    core.info(`${fit.reason}: switching to select mode`);
    let saved;
    try {
      saved = await savePlan({
        scope: inputs.cacheKey,
        runId: ctx.runId,
        attempt: ctx.attempt,
        json: JSON.stringify(plan),
      });
    } catch (error) {
      saved = { saved: false, key: null, warnings: [error.message] };
    }
    if (!saved?.saved) {
      throw new FatalError(
        `the plan is too large for job outputs (${fit.reason}) and could not be saved to the cache for ` +
          `select mode (${(saved?.warnings ?? []).join('; ') || 'no reason given'}); use a coarser \`granularity\``,
      );
    }
    storedPlanKey = saved.key;
    matrix = JSON.stringify(selectMatrix(plan));
    planJson = JSON.stringify(strippedPlan(plan, storedPlanKey));
    core.info(
      `select mode: the plan is in the cache as ${logSafe(storedPlanKey)}; the matrix carries only indices and ` +
        'each worker needs a `mode: select` step with `index: ${{ matrix.index }}` to get its tests (read them ' +
        'from its `tests-file` output when a list is over 128 KiB)',
    );
  }
  const entries = JSON.parse(matrix).include.length;
  core.setOutput('matrix', matrix);
  core.setOutput('plan', planJson);
  core.setOutput('workers', String(entries));
  core.setOutput('predicted-seconds', String(plan.predicted_seconds));
  core.setOutput('select', String(storedPlanKey !== null));
  core.info(`outputs: matrix with ${entries} entries, ${utf16Bytes(matrix) + utf16Bytes(planJson)} bytes`);

  if (inputs.summary) {
    const text = splitSummary(plan, { select: storedPlanKey !== null, storedPlanKey, warnings });
    await writeSummary(text);
  }
}

/** Appends to the job summary; failure to write it is a warning. */
async function writeSummary(text) {
  try {
    await core.summary.addRaw(text, true).write();
  } catch (error) {
    core.warning(`the job summary could not be written: ${error.message}`);
  }
}

/** Finds the plan of this run: the `plan` input when it holds the tests, else the cache. */
async function findPlan(inputs, ctx) {
  const given = inputs.plan;
  if (given && given.stored_plan_key == null) return { plan: given, source: 'the `plan` input', warnings: [] };
  let restored;
  try {
    restored = await restorePlan({
      scope: inputs.cacheKey,
      runId: ctx.runId,
      attempt: ctx.attempt,
    });
  } catch (error) {
    return { plan: null, source: null, warnings: [`the plan could not be restored: ${error.message}`] };
  }
  const warnings = [...(restored?.warnings ?? [])];
  if (!restored?.bytes) return { plan: null, source: null, warnings };
  try {
    const plan = JSON.parse(Buffer.from(restored.bytes).toString('utf8'));
    if (isPlanShaped(plan)) return { plan, source: `the cache (${restored.key})`, warnings };
    warnings.push(`the cached plan ${restored.key} is not a plan`);
  } catch (error) {
    warnings.push(`the cached plan ${restored.key} is not JSON: ${error.message}`);
  }
  return { plan: null, source: null, warnings };
}

/** select: the tests of one worker, from the plan input or the cache. */
async function select(inputs, ctx) {
  const found = await findPlan(inputs, ctx);
  warnAll(found.warnings);
  if (!found.plan) {
    throw new FatalError(
      'select mode found no plan for this run: pass `plan: ${{ needs.<plan job>.outputs.plan }}` or make sure ' +
        'the split step of this run saved it (it does when its outputs are too large)',
    );
  }
  const tests = groupTests(found.plan, inputs.index);
  if (tests === null) {
    const indices = found.plan.groups.map((g) => g.index).join(', ');
    throw new InputError(INPUT.INDEX, `the plan has no worker ${inputs.index} (it has ${indices})`);
  }
  core.info(`worker ${inputs.index}: ${tests.length} tests from ${logSafe(found.source)}`);
  for (const id of tests.slice(0, 2000)) core.info(logLine('  - ', id));
  if (tests.length > 2000) core.info(`  … and ${tests.length - 2000} more`);
  const words = shellJoin(tests);
  // The same words in a file: `eval "set -- $(cat "$TESTS_FILE")"` has no 128 KiB limit, `env: TESTS` has.
  const file = path.join(ctx.temp, `timeshard-tests-${inputs.index}.txt`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, words);
  if (Buffer.byteLength(words) > ENV_VALUE_LIMIT_BYTES) {
    core.info(
      `the list is ${Buffer.byteLength(words)} bytes, too long for one environment variable: read it from the ` +
        '`tests-file` output with `eval "set -- $(cat "$TESTS_FILE")"`',
    );
  }
  core.setOutput('tests', words);
  core.setOutput('tests-file', file);
  core.setOutput('tests-json', JSON.stringify(tests));
  core.setOutput('count', String(tests.length));
  if (inputs.summary) await writeSummary(selectSummary(inputs.index, tests, found.source));
}

/**
 * The groups of `plan` that ran tests, for the core to measure while it records this run's reports (`measure`: each
 * test matched and summed as the plan matched it; a test without a time in the reports is counted as `missing` and
 * its estimate is included), and how to pair the core's answer with them: `compare(actuals)` →
 * [{ index, tests, predicted, actual, missing }] per group.
 */
function planComparison(plan) {
  const groups = plan.groups.filter((g) => g.tests.length > 0);
  return {
    measure: { groups: groups.map((g) => g.tests), granularity: plan.granularity },
    compare: (actuals) =>
      groups.map((group, i) => ({
        index: group.index,
        tests: group.tests.length,
        predicted: group.predicted_seconds,
        actual: actuals[i].seconds,
        missing: actuals[i].missing,
      })),
  };
}

/** record: restore → reports → record → save → outputs + summary. Never fails the build. */
async function recordRun(inputs, ctx, base) {
  const warnings = [];
  const roots = [...new Set([base, ctx.workspace])];
  // Matched, not read: the core reads them straight into its memory (js/engine.js).
  const reports = await matchFiles(inputs.reports, base, 'report');
  warnings.push(...reports.warnings);
  const emptyOutputs = () => {
    core.setOutput('recorded', '0');
    core.setOutput('store-tests', '0');
    core.setOutput('missing-count', '0');
    core.setOutput('saved', 'false');
    core.setOutput('store-key', '');
  };
  if (reports.files.length === 0) {
    warnings.push('no report to record: the timing store is left as it is');
    warnAll(warnings);
    emptyOutputs();
    return;
  }
  core.info(`reports: ${reports.files.length}`);
  for (const r of reports.files) core.info(logLine('  - ', `${r.name} (${r.size} bytes)`));
  // Large reports are parsed in threads while the store is restored (js/parse-threads.js).
  const ahead = parseAhead(reports.files, roots);

  const restored = await restoreStoreSafely(inputs.cacheKey);
  warnings.push(...restored.warnings);
  core.info(restored.key ? `timing store: restored ${logSafe(restored.key)}` : 'timing store: none restored, starting a new one');
  // The plan this run executed, if there is one: the core measures its groups while it reads the reports.
  const found = await findPlan(inputs, ctx);
  const planned = found.plan ? planComparison(found.plan) : null;

  let result;
  try {
    result = coreRecord({
      store: restored.file,
      reports: reports.files,
      parseAhead: ahead,
      roots,
      prune_after_runs: inputs.pruneAfterRuns,
      measure: planned?.measure,
    });
  } catch (error) {
    warnings.push(`the reports could not be recorded, the timing store is left as it is: ${error.message}`);
    warnAll(warnings);
    emptyOutputs();
    return;
  }
  logParseThreads();
  const summary = result.summary;

  let saved = { saved: false, key: null, warnings: [] };
  try {
    saved = await saveStore({
      scope: inputs.cacheKey,
      runId: ctx.runId,
      attempt: ctx.attempt,
      json: result.store,
    });
  } catch (error) {
    saved = { saved: false, key: null, warnings: [`the timing store could not be saved: ${error.message}`] };
  }
  warnings.push(...(saved?.warnings ?? []));

  const comparison = planned && result.actuals ? planned.compare(result.actuals) : null;

  core.info(
    `recorded ${summary.recorded} tests; store: ${summary.tests} tests over ${summary.runs} runs ` +
      `(${summary.new_tests} new, ${summary.updated_tests} updated, ${summary.pruned_tests} pruned); ` +
      `${summary.missing_count} tests of the store in no report`,
  );
  for (const id of (summary.missing_tests ?? []).slice(0, 20)) core.info(logLine('  missing: ', id));
  if (comparison) {
    for (const c of comparison) {
      core.info(
        `  worker ${c.index}: predicted ${c.predicted.toFixed(1)} s, actual ${c.actual.toFixed(1)} s` +
          (c.missing > 0 ? ` (${c.missing} tests without a time)` : ''),
      );
    }
  }
  const counter = { n: 0 };
  warnAll(warnings, counter);
  warnAll(summary.warnings ?? [], counter);
  for (const r of summary.reports ?? []) warnAll((r.warnings ?? []).map((w) => `${r.name}: ${w}`), counter);

  core.setOutput('recorded', String(summary.recorded));
  core.setOutput('store-tests', String(summary.tests));
  core.setOutput('missing-count', String(summary.missing_count ?? 0));
  core.setOutput('saved', String(Boolean(saved?.saved)));
  core.setOutput('store-key', saved?.saved ? (saved.key ?? '') : '');
  if (inputs.summary) {
    await writeSummary(recordSummary(summary, comparison, { saved: saved?.saved, key: saved?.key, warnings }));
  }
}

/** The action's entry point. Resolves always; failures are reported through core.setFailed. */
export async function run(env = process.env) {
  let mode = 'split';
  try {
    const inputs = readInputs((name) => core.getInput(name));
    mode = inputs.mode;
    const ctx = context(env);
    const base = path.resolve(ctx.workspace, inputs.workingDirectory);
    let version = 'unknown';
    try {
      version = engineVersion();
    } catch (error) {
      core.warning(error.message);
    }
    core.info(`timeshard ${version}, mode ${mode}`);
    if (mode === 'split') await split(inputs, ctx, base);
    else if (mode === 'record') await recordRun(inputs, ctx, base);
    else await select(inputs, ctx);
  } catch (error) {
    if (error instanceof InputError || error instanceof PlanInvariantError || error instanceof FatalError) {
      core.setFailed(error.message);
    } else if (mode === 'record') {
      // Recording is best effort: the tests already ran; a broken record step must not fail the build.
      core.warning(`timeshard record failed, the timing store is left as it is: ${error?.stack ?? error}`);
    } else {
      core.setFailed(`timeshard failed unexpectedly (a bug, please report it): ${error?.stack ?? error}`);
    }
  }
  // A cache call that timed out may still hold a socket open, which would keep the step running.
  if (abandonedOperations() > 0) process.exit();
}
