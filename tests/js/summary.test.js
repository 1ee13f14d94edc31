// Job summaries: escaping of test ids, the chart, the size cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bar,
  escapeHtml,
  escapeMarkdown,
  formatSeconds,
  ganttChart,
  recordSummary,
  SUMMARY_BUDGET_BYTES,
  splitSummary,
} from '../../js/summary.js';

const EVIL = [
  '<script>alert(1)</script>.py',
  'tests/a.py::test["x"]',
  "tests/b.py::it's",
  'tests/c.py::</code></li></ul></details><img src=x onerror=alert(1)>',
  'tests/d.py::`code` | pipe',
  '@everyone.py',
];

function plan(groups, extra = {}) {
  return {
    version: 1,
    workers: groups.length,
    requested_workers: 'auto',
    granularity: 'file',
    tests: groups.flat().length,
    estimated_tests: 1,
    lower_bound_seconds: 100,
    predicted_seconds: 101.5,
    total_seconds: 300,
    job_overhead_seconds: 60,
    predicted_wall_seconds: 161.5,
    job_seconds: 480,
    groups: groups.map((tests, i) => ({ index: i + 1, tests, predicted_seconds: 101.5 - i * 10, estimated_tests: i })),
    candidates: [
      { workers: 2, predicted_seconds: 150, wall_seconds: 210, job_seconds: 420 },
      { workers: 3, predicted_seconds: 101.5, wall_seconds: 161.5, job_seconds: 480 },
    ],
    auto: { target_seconds: 200, max_workers: 20, reason: '3 workers: smallest N whose predicted wall time ≤ target' },
    warnings: ['3 tests had no recorded time <b>'],
    ...extra,
  };
}

test('escaping', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeMarkdown('a|b`c*d_e\nf'), 'a&#124;b&#96;c&#42;d&#95;e f');
});

test('split summary: table, bars, chart, auto reason, escaped ids', () => {
  const text = splitSummary(plan([EVIL.slice(0, 3), EVIL.slice(3), []]), { warnings: ['cache: <no>'] });
  assert.match(text, /^## timeshard: 3 workers, predicted 1 min 42 s per worker/);
  assert.match(text, /`workers: auto` chose \*\*3\*\*/);
  assert.match(text, /\*\*3\*\* \(target 3 min 20 s wall time, at most 20 workers, 1 min 00 s overhead per job\): smallest N whose/);
  assert.match(text, /\| 1 \| 3 \| 0 \| 1 min 42 s \| █{24} \|/);
  assert.match(text, /\| 3 \| 0 \| 2 \| 1 min 22 s \| █+[▏▎▍▌▋▊▉]? \|/);
  assert.match(text, /```mermaid\ngantt\n {2}title Predicted test time per worker \(seconds\)\n {2}dateFormat X\n {2}axisFormat %s\n/);
  assert.match(text, / {2}section Worker 1\n {2}1 min 42 s : w1, 0, 102s\n/);
  assert.match(text, /\*\*Lower bound:\*\* 1 min 40 s/);
  assert.match(text, /\+1\.5 %/);
  assert.match(text, /8\.0 job-minutes/);
  assert.match(text, /<td>|Worker counts considered/);
  for (const id of EVIL) assert.equal(text.includes(id), false, `raw id in summary: ${id}`);
  assert.ok(text.includes('&lt;script&gt;alert(1)&lt;/script&gt;.py'));
  assert.ok(text.includes('&lt;/code&gt;&lt;/li&gt;&lt;/ul&gt;&lt;/details&gt;&lt;img'));
  assert.equal(/<script|<img|<b>/.test(text), false);
  assert.ok(text.includes('cache: &lt;no&gt;'));
  assert.ok(text.includes('<summary>Worker 3: 0 tests</summary>'));
});

test('split summary stays under the budget, with a note', () => {
  const ids = Array.from({ length: 40000 }, (_, i) => `tests/pkg_${i % 97}/test_module_number_${i}.py`);
  const groups = [ids.slice(0, 20000), ids.slice(20000)];
  const text = splitSummary(plan(groups));
  assert.ok(Buffer.byteLength(text) <= SUMMARY_BUDGET_BYTES, `${Buffer.byteLength(text)} bytes`);
  assert.match(text, /… and \d+ more \(see the <code>plan<\/code> output\)/);
  assert.match(text, /test ids not listed here to keep the summary small/);
  // Tight budget: all lists cut, still a valid document.
  const many = Array.from({ length: 256 }, (_, i) => [`t${i}.py`]);
  const wide = splitSummary(plan(many));
  assert.equal((wide.match(/<details><summary>Worker \d+:/g) ?? []).length, 256);
});

test('select mode is explained in the split summary', () => {
  const text = splitSummary(plan([['a.py']]), { select: true, storedPlanKey: 'timeshard-v1-default-plan-1-1' });
  assert.match(text, /\*\*Select mode:\*\*.*`timeshard-v1-default-plan-1-1`.*`mode: select`/);
});

test('record summary: reports, missing tests, predicted vs actual', () => {
  const summary = {
    runs: 3,
    tests: 40,
    recorded: 37,
    new_tests: 2,
    updated_tests: 35,
    pruned_tests: 1,
    missing_tests: ['<gone>.py', 'tests/x.py'],
    missing_count: 5,
    reports: [{ name: 'reports/junit-1/<x>.xml', format: 'junit', samples: 20, warnings: ['no file attribute'] }],
    warnings: [],
  };
  const comparison = [
    { index: 1, tests: 20, predicted: 100, actual: 110, missing: 0 },
    { index: 2, tests: 20, predicted: 100, actual: 90, missing: 3 },
  ];
  const text = recordSummary(summary, comparison, { saved: true, key: 'timeshard-v1-default-9-1-abcd' });
  assert.match(text, /^## timeshard: recorded 37 tests/);
  assert.match(text, /40 tests over 3 recorded runs; this run: 2 new, 35 updated, 1 pruned/);
  assert.match(text, /\*\*Saved\*\* to the cache as `timeshard-v1-default-9-1-abcd`/);
  assert.match(text, /\| reports\/junit-1\/&lt;x&gt;\.xml \| junit \| 20 \| 1 \|/);
  assert.match(text, /\| 1 \| 20 \| 1 min 40 s \| 1 min 50 s \| \+10\.0 % \|/);
  assert.match(text, /\| 2 \| 20 \(3 without a time\) \| 1 min 40 s \| 1 min 30 s \| −10\.0 % \|/);
  assert.match(text, /5 tests in the store but in no report/);
  assert.match(text, /<li><code>&lt;gone&gt;\.py<\/code><\/li>/);
  assert.match(text, /… and 3 more/);
  assert.match(text, /no file attribute/);
  const unsaved = recordSummary({ ...summary, missing_count: 0, missing_tests: [] }, null, { saved: false });
  assert.match(unsaved, /\*\*Not saved\*\*/);
  assert.equal(unsaved.includes('Predicted and actual'), false);
});

test('formatting helpers', () => {
  const cases = [
    [0.5, '0.50 s'],
    [12.34, '12.3 s'],
    [61, '1 min 01 s'],
    [3599.4, '59 min 59 s'],
    [3600, '1 h 00 min'],
    [7322, '2 h 02 min'],
    [NaN, '–'],
  ];
  for (const [s, text] of cases) assert.equal(formatSeconds(s), text, String(s));
  assert.equal(bar(1, 1, 4), '████');
  assert.equal(bar(0.5, 1, 4), '██');
  assert.equal(bar(1 / 32, 1, 4), '▏');
  assert.equal(bar(0, 1, 4), '');
  assert.equal(bar(1, 0, 4), '');
  const chart = ganttChart([{ index: 1, seconds: 0.2, label: 'x' }], 'T');
  assert.match(chart, /x : w1, 0, 1s\n```$/);
});
