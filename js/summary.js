// The job summaries as Markdown/HTML strings: split (per-worker table with bars, a mermaid gantt of predicted
// loads, the bound, `auto`'s choice, the test lists), record (what was recorded, what is missing, predicted vs
// actual per worker) and select. Pure functions; every test id is HTML-escaped and the result stays under the
// step-summary limit, test lists cut with a note.

import { textBar } from './outputs.js';

/** GitHub's step summary limit is 1 MiB; this leaves room for other steps' summaries in the same step file. */
export const SUMMARY_BUDGET_BYTES = 900 * 1024;

/** Most ids listed per worker (the `plan` output has all of them). */
export const LIST_PER_WORKER = 500;

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Escapes text for Markdown (a table cell, a list item) and for HTML alike: the HTML escape, then the characters
 * Markdown acts on (`` ` `` `|` `*` `_` `[` `]` `~` `#` `\\` and `@`, no mentions) as numeric references; a line
 * break becomes a space.
 */
export function escapeMarkdown(text) {
  return escapeHtml(text)
    .replace(/[\\`*_[\]|~#@]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\r?\n/g, ' ');
}

/** Seconds for people: `12.3 s`, `5 min 02 s`, `1 h 02 min`. */
export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A bar of `width` cells for value/max, in eighths of a block (at least a sliver for any value > 0). */
export function bar(value, max, width = 24) {
  return textBar(value, max, width);
}

/** Percent over a reference, `+1.2 %`; empty when the reference is 0. */
function over(value, reference) {
  if (!(reference > 0)) return '';
  const pct = ((value - reference) / reference) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)} %`;
}

/**
 * A mermaid gantt chart of the load per worker: each bar starts at 0 (`dateFormat X`: Unix seconds) and lasts its
 * whole seconds (a duration, at least 1 s; mermaid takes no decimals there); `axisFormat %s` labels the axis in
 * seconds, independent of the reader's time zone. Labels are ours, never test ids (a `:` would end them).
 */
export function ganttChart(groups, title) {
  const rows = [
    '```mermaid',
    'gantt',
    `  title ${title}`,
    '  dateFormat X',
    '  axisFormat %s',
  ];
  for (const group of groups) {
    const seconds = Math.max(1, Math.round(group.seconds));
    rows.push(`  section Worker ${group.index}`);
    rows.push(`  ${group.label} : w${group.index}, 0, ${seconds}s`);
  }
  rows.push('```');
  return rows.join('\n');
}

/** `<details>` lists of ids per worker within `budget` bytes; returns { html, cut } (cut = ids not shown). */
export function testLists(groups, budget, perWorker = LIST_PER_WORKER) {
  const parts = [];
  let used = 0;
  let cut = 0;
  for (const group of groups) {
    const items = [];
    let shown = 0;
    for (const id of group.tests) {
      const item = `<li><code>${escapeMarkdown(id)}</code></li>`;
      if (shown >= perWorker || used + Buffer.byteLength(item) > budget) break;
      items.push(item);
      used += Buffer.byteLength(item);
      shown += 1;
    }
    const hidden = group.tests.length - shown;
    cut += hidden;
    const more = hidden > 0 ? `<li>… and ${hidden} more (see the <code>plan</code> output)</li>` : '';
    const noun = group.tests.length === 1 ? 'test' : 'tests';
    parts.push(
      `<details><summary>Worker ${group.index}: ${group.tests.length} ${noun}</summary><ul>${items.join('')}${more}</ul></details>`,
    );
  }
  return { html: parts.join('\n'), cut };
}

/** A bulleted list of warnings (escaped), at most `max` shown. */
function warningList(warnings, max = 50) {
  if (!warnings || warnings.length === 0) return '';
  const shown = warnings.slice(0, max).map((w) => `- ${escapeMarkdown(w)}`);
  if (warnings.length > max) shown.push(`- … and ${warnings.length - max} more (see the log)`);
  return `\n**Warnings**\n\n${shown.join('\n')}\n`;
}

/** Words for how the worker count was chosen. */
export function workersSentence(plan) {
  if (plan.auto) {
    // The core's reason starts with the choice ("3 workers: the smallest N…"), which the sentence already says.
    const why = (plan.auto.reason ?? '').replace(/^\d+ workers?: /, '');
    const reason = why ? `: ${why}` : '';
    return (
      `\`workers: auto\` chose **${plan.workers}** (target ${formatSeconds(plan.auto.target_seconds)} wall time, ` +
      `at most ${plan.auto.max_workers} workers, ${formatSeconds(plan.job_overhead_seconds)} overhead per job)` +
      escapeMarkdown(reason)
    );
  }
  return `${plan.workers} workers, as set by \`workers\``;
}

/**
 * The split summary. `extra` may carry { select: bool, storedPlanKey, version, discovered, warnings } — warnings of
 * the shim (restore, discovery) that are not in the plan.
 */
export function splitSummary(plan, extra = {}) {
  const groups = plan.groups;
  const max = Math.max(0, ...groups.map((g) => g.predicted_seconds));
  const head = [];
  head.push(
    `## timeshard: ${plan.workers} ${plan.workers === 1 ? 'worker' : 'workers'}, ` +
      `predicted ${formatSeconds(plan.predicted_seconds)} per worker`,
  );
  head.push('');
  head.push(workersSentence(plan) + '.');
  head.push('');
  head.push('| Worker | Tests | Estimated | Predicted | Load |');
  head.push('|---:|---:|---:|---:|:---|');
  for (const g of groups) {
    head.push(
      `| ${g.index} | ${g.tests.length} | ${g.estimated_tests ?? 0} | ${formatSeconds(g.predicted_seconds)} | ` +
        `${bar(g.predicted_seconds, max) || '·'} |`,
    );
  }
  head.push('');
  head.push(
    ganttChart(
      groups.map((g) => ({ index: g.index, seconds: g.predicted_seconds, label: formatSeconds(g.predicted_seconds) })),
      'Predicted test time per worker (seconds)',
    ),
  );
  head.push('');
  const estimated = plan.estimated_tests ?? 0;
  head.push(
    `- **Tests:** ${plan.tests} at granularity \`${plan.granularity}\`` +
      (estimated > 0 ? `, ${estimated} of them estimated (no recorded time)` : ', all with recorded times'),
  );
  head.push(
    `- **Lower bound:** ${formatSeconds(plan.lower_bound_seconds)} — no split of these tests into ${plan.workers} ` +
      `can finish faster; the slowest worker is predicted at ${formatSeconds(plan.predicted_seconds)} ` +
      `(${over(plan.predicted_seconds, plan.lower_bound_seconds) || 'at the bound'})`,
  );
  head.push(
    `- **Predicted wall time:** ${formatSeconds(plan.predicted_wall_seconds)} with ` +
      `${formatSeconds(plan.job_overhead_seconds)} overhead per job; ` +
      `**job time:** ${(plan.job_seconds / 60).toFixed(1)} job-minutes (total test time ${formatSeconds(plan.total_seconds)})`,
  );
  if (extra.select) {
    head.push(
      `- **Select mode:** the plan was too large for job outputs; it is in the cache under ` +
        `\`${escapeMarkdown(extra.storedPlanKey ?? '')}\` and each worker reads its tests with a \`mode: select\` step`,
    );
  }
  if (Array.isArray(plan.candidates) && plan.candidates.length > 0) {
    head.push('');
    head.push('<details><summary>Worker counts considered</summary>');
    head.push('');
    head.push('| Workers | Slowest worker | Wall time | Job-minutes |');
    head.push('|---:|---:|---:|---:|');
    for (const c of plan.candidates) {
      const mark = c.workers === plan.workers ? ' ◀' : '';
      head.push(
        `| ${c.workers}${mark} | ${formatSeconds(c.predicted_seconds)} | ${formatSeconds(c.wall_seconds)} | ` +
          `${(c.job_seconds / 60).toFixed(1)} |`,
      );
    }
    head.push('');
    head.push('</details>');
  }
  const warnings = [...(extra.warnings ?? []), ...(plan.warnings ?? [])];
  head.push(warningList(warnings));
  const text = head.join('\n');
  const budget = SUMMARY_BUDGET_BYTES - Buffer.byteLength(text) - 512;
  const lists = testLists(groups, Math.max(0, budget));
  const note = lists.cut > 0 ? `\n\n_${lists.cut} test ids not listed here to keep the summary small._` : '';
  return `${text}\n### Tests per worker\n\n${lists.html}${note}\n`;
}

/**
 * The record summary. `summary` is the core's record summary; `comparison` (optional) is
 * [{ index, predicted, actual, tests, missing }] per worker; `extra` has { saved, key, warnings }.
 */
export function recordSummary(summary, comparison, extra = {}) {
  const out = [];
  out.push(`## timeshard: recorded ${summary.recorded} ${summary.recorded === 1 ? 'test' : 'tests'}`);
  out.push('');
  out.push(
    `- **Store:** ${summary.tests} tests over ${summary.runs} recorded runs; this run: ${summary.new_tests} new, ` +
      `${summary.updated_tests} updated, ${summary.pruned_tests} pruned`,
  );
  out.push(
    extra.saved
      ? `- **Saved** to the cache as \`${escapeMarkdown(extra.key ?? '')}\``
      : '- **Not saved** to the cache (see the warnings); the next split uses the previous store',
  );
  out.push('');
  out.push('| Report | Format | Tests | Warnings |');
  out.push('|:---|:---|---:|---:|');
  for (const r of summary.reports ?? []) {
    out.push(
      `| ${escapeMarkdown(r.name)} | ${escapeMarkdown(r.format ?? '')} | ${r.samples} | ${(r.warnings ?? []).length} |`,
    );
  }
  if (comparison && comparison.length > 0) {
    const max = Math.max(0, ...comparison.map((c) => Math.max(c.predicted, c.actual)));
    out.push('');
    out.push('### Predicted and actual test time per worker');
    out.push('');
    out.push('| Worker | Tests | Predicted | Actual | Difference | Actual load |');
    out.push('|---:|---:|---:|---:|---:|:---|');
    for (const c of comparison) {
      const missing = c.missing > 0 ? ` (${c.missing} without a time)` : '';
      out.push(
        `| ${c.index} | ${c.tests}${missing} | ${formatSeconds(c.predicted)} | ${formatSeconds(c.actual)} | ` +
          `${over(c.actual, c.predicted)} | ${bar(c.actual, max) || '·'} |`,
      );
    }
    out.push('');
    out.push(
      ganttChart(
        comparison.map((c) => ({ index: c.index, seconds: c.actual, label: formatSeconds(c.actual) })),
        'Actual test time per worker (seconds)',
      ),
    );
  }
  const missingCount = summary.missing_count ?? 0;
  if (missingCount > 0) {
    const listed = (summary.missing_tests ?? []).map((id) => `<li><code>${escapeMarkdown(id)}</code></li>`).join('');
    const more =
      missingCount > (summary.missing_tests ?? []).length
        ? `<li>… and ${missingCount - summary.missing_tests.length} more</li>`
        : '';
    out.push('');
    out.push(
      `<details><summary>${missingCount} tests in the store but in no report of this run (skipped, deleted or ` +
        `on a worker that failed)</summary><ul>${listed}${more}</ul></details>`,
    );
  }
  const reportWarnings = (summary.reports ?? []).flatMap((r) => (r.warnings ?? []).map((w) => `${r.name}: ${w}`));
  out.push(warningList([...(extra.warnings ?? []), ...(summary.warnings ?? []), ...reportWarnings]));
  return cap(out.join('\n'));
}

/** The select summary: one line. */
export function selectSummary(index, tests, source) {
  return `## timeshard: worker ${index} runs ${tests.length} ${tests.length === 1 ? 'test' : 'tests'}\n\nThe list came from ${escapeMarkdown(source)}.\n`;
}

/** Cuts a summary to the budget at a line end, with a note. */
export function cap(text, budget = SUMMARY_BUDGET_BYTES) {
  if (Buffer.byteLength(text) <= budget) return text;
  let cut = text.slice(0, budget);
  while (Buffer.byteLength(cut) > budget - 200) cut = cut.slice(0, Math.floor(cut.length * 0.95));
  const end = cut.lastIndexOf('\n');
  return `${cut.slice(0, end > 0 ? end : cut.length)}\n\n_The summary was cut to stay under GitHub's 1 MiB limit._\n`;
}
