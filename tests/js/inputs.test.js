// Input validation: a table of accepted inputs and their values, and a table of rejected ones with the message.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULTS, INPUT, InputError, readInputs } from '../../js/inputs.js';

const getter = (map) => (name) => map[name] ?? '';

test('accepted inputs', () => {
  const successes = [
    [{ tests: 'tests/**/*.py' }, { mode: 'split', workers: 'auto', granularity: 'file', tests: ['tests/**/*.py'] }],
    [{ tests: 'a/*.py\n\n  b/*.py  \n!b/skip.py' }, { tests: ['a/*.py', 'b/*.py', '!b/skip.py'] }],
    [{ tests: 'x', workers: '4' }, { workers: 4 }],
    [{ tests: 'x', workers: ' 256 ' }, { workers: 256 }],
    [{ tests: 'x', workers: 'AUTO' }, { workers: 'auto' }],
    [{ tests: 'x', workers: '1' }, { workers: 1 }],
    [{ 'tests-file': 'ids.txt', granularity: 'test' }, { testsFile: 'ids.txt', granularity: 'test' }],
    [{ 'tests-file': 'ids.txt', granularity: 'Suite' }, { granularity: 'suite' }],
    [{ tests: 'x', 'target-seconds': '90.5', 'job-overhead-seconds': '0' }, { targetSeconds: 90.5, jobOverheadSeconds: 0 }],
    [{ tests: 'x', 'max-workers': '5' }, { maxWorkers: 5 }],
    [{ tests: 'x', timings: '.test_durations\njunit/*.xml' }, { timings: ['.test_durations', 'junit/*.xml'] }],
    [{ mode: 'record', reports: 'reports/**/*.xml' }, { mode: 'record', reports: ['reports/**/*.xml'] }],
    [{ mode: 'record', reports: 'r.xml', 'prune-after-runs': '0' }, { pruneAfterRuns: 0 }],
    [{ mode: 'select', index: '3' }, { mode: 'select', index: 3 }],
    [{ mode: 'select', index: '1', plan: '{"groups":[{"index":1,"tests":["a"]}]}' }, { plan: { groups: [{ index: 1, tests: ['a'] }] } }],
    [{ tests: 'x', 'cache-key': 'backend.unit-2_x' }, { cacheKey: 'backend.unit-2_x' }],
    [{ tests: 'x', summary: 'false' }, { summary: false }],
    [{ tests: 'x', 'working-directory': 'backend' }, { workingDirectory: 'backend' }],
  ];
  for (const [raw, expected] of successes) {
    const inputs = readInputs(getter(raw));
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(inputs[key], value, `${JSON.stringify(raw)} → ${key}`);
    }
  }
});

test('defaults', () => {
  const inputs = readInputs(getter({ tests: 'x' }));
  assert.equal(inputs.workers, DEFAULTS.workers);
  assert.equal(inputs.targetSeconds, DEFAULTS.targetSeconds);
  assert.equal(inputs.jobOverheadSeconds, DEFAULTS.jobOverheadSeconds);
  assert.equal(inputs.maxWorkers, DEFAULTS.maxWorkers);
  assert.equal(inputs.cacheKey, DEFAULTS.cacheKey);
  assert.equal(inputs.pruneAfterRuns, DEFAULTS.pruneAfterRuns);
  assert.equal(inputs.summary, true);
  assert.equal(inputs.plan, null);
});

test('rejected inputs name the input and quote the value', () => {
  const failures = [
    [{ tests: 'x', workers: '0' }, 'workers', 'Input `workers`: expected a number from 1 to 256 or `auto`, got `0`'],
    [{ tests: 'x', workers: '257' }, 'workers', 'got `257`'],
    [{ tests: 'x', workers: '2.5' }, 'workers', 'got `2.5`'],
    [{ tests: 'x', workers: 'many' }, 'workers', 'got `many`'],
    [{ tests: 'x', workers: '-3' }, 'workers', 'got `-3`'],
    [{ tests: 'x', mode: 'plan' }, 'mode', 'expected one of `split`, `record`, `select`, got `plan`'],
    [{ tests: 'x', granularity: 'method' }, 'granularity', 'got `method`'],
    [{ tests: 'x', granularity: 'test' }, 'granularity', 'needs test ids from `tests-file`'],
    [{ tests: 'x', 'target-seconds': '0' }, 'target-seconds', 'from 1 to 604800, got `0`'],
    [{ tests: 'x', 'target-seconds': '5m' }, 'target-seconds', 'got `5m`'],
    [{ tests: 'x', 'target-seconds': '1e3' }, 'target-seconds', 'got `1e3`'],
    [{ tests: 'x', 'job-overhead-seconds': '-1' }, 'job-overhead-seconds', 'got `-1`'],
    [{ tests: 'x', 'max-workers': '0' }, 'max-workers', 'from 1 to 256, got `0`'],
    [{ tests: 'x', 'max-workers': '300' }, 'max-workers', 'got `300`'],
    [{ tests: 'x', 'cache-key': 'a,b' }, 'cache-key', 'got `a,b`'],
    [{ tests: 'x', 'cache-key': 'x'.repeat(65) }, 'cache-key', 'expected 1 to 64'],
    [{ tests: 'x', summary: 'yes' }, 'summary', 'expected `true` or `false`, got `yes`'],
    [{}, 'tests', 'set `tests` (globs) or `tests-file`'],
    [{ tests: 'x', 'tests-file': 'y' }, 'tests-file', 'not both'],
    [{ mode: 'record' }, 'reports', 'record mode needs the test reports'],
    [{ mode: 'select' }, 'index', 'select mode needs the worker index'],
    [{ mode: 'select', index: '0' }, 'index', 'got `0`'],
    [{ mode: 'select', index: '1', plan: 'not json' }, 'plan', 'expected the `plan` output of a split step (JSON)'],
    [{ mode: 'select', index: '1', plan: '{"workers":2}' }, 'plan', 'no `groups` list'],
    [{ tests: 'x', workers: 'a\nb`c' }, 'workers', 'got `a\\nb\'c`'],
  ];
  for (const [raw, input, fragment] of failures) {
    assert.throws(
      () => readInputs(getter(raw)),
      (error) => {
        assert.ok(error instanceof InputError, `${JSON.stringify(raw)}: ${error}`);
        assert.equal(error.input, input, JSON.stringify(raw));
        assert.ok(error.message.startsWith(`Input \`${input}\`: `), error.message);
        assert.ok(error.message.includes(fragment), `${error.message} should contain ${fragment}`);
        return true;
      },
    );
  }
});

test('action.yml declares every input with the same defaults', () => {
  const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');
  const inputsBlock = yml.slice(yml.indexOf('\ninputs:'), yml.indexOf('\noutputs:'));
  const declared = [...inputsBlock.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
  assert.deepEqual([...declared].sort(), Object.values(INPUT).sort());
  const defaultOf = (name) => {
    const start = inputsBlock.indexOf(`\n  ${name}:\n`);
    const rest = inputsBlock.slice(start + 1);
    const next = rest.slice(1).search(/\n {2}[a-z-]+:\n/);
    const block = next === -1 ? rest : rest.slice(0, next + 1);
    const m = /\n {4}default: '?([^'\n]*)'?/.exec(block);
    return m ? m[1] : undefined;
  };
  assert.equal(defaultOf('workers'), String(DEFAULTS.workers));
  assert.equal(defaultOf('target-seconds'), String(DEFAULTS.targetSeconds));
  assert.equal(defaultOf('job-overhead-seconds'), String(DEFAULTS.jobOverheadSeconds));
  assert.equal(defaultOf('max-workers'), String(DEFAULTS.maxWorkers));
  assert.equal(defaultOf('prune-after-runs'), String(DEFAULTS.pruneAfterRuns));
  assert.equal(defaultOf('cache-key'), DEFAULTS.cacheKey);
  assert.equal(defaultOf('granularity'), DEFAULTS.granularity);
  assert.equal(defaultOf('mode'), DEFAULTS.mode);
  assert.match(yml, /using: node24/);
  assert.match(yml, /main: dist\/index\.js/);
});
