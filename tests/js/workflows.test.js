// The workflows users copy, the ones this repository runs and the action's metadata, checked against GitHub's own
// schemas with @actions/workflow-parser (the parser behind GitHub's workflow language services): action.yml,
// .github/workflows/*.yml and every ```yaml block of the README. A README block that is a list of steps is checked
// as the steps of one job. (Nothing here runs on GitHub; this catches what the schemas can: unknown keys, misplaced
// values, broken ${{ }}, a Marketplace icon GitHub does not accept.)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './helpers.js';

/**
 * The parser, bundled once: its package imports its JSON schema without an import attribute, which bundlers accept
 * and Node's ESM loader refuses.
 */
async function loadParser() {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-wfp-'));
  try {
    const outfile = path.join(dir, 'parser.mjs');
    await build({
      stdin: {
        contents:
          "export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser';\n" +
          "export { parseAction } from '@actions/workflow-parser/actions/index';",
        resolveDir: ROOT,
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
      // Its YAML library requires node built-ins, which an ESM bundle cannot do without a require.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const parser = await loadParser();

/** Every problem the parser finds in a workflow's text (schema, expressions, job and step structure). */
async function problems(name, content) {
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const found = result.context.errors.getErrors().map((e) => e.message);
  if (result.value) {
    const converted = await parser.convertWorkflowTemplate(result.context, result.value);
    for (const e of converted.errors ?? []) if (!found.includes(e.Message)) found.push(e.Message);
  }
  return found;
}

/** A README block as a whole workflow: as it is when it has jobs, else its steps in one job. */
function asWorkflow(block) {
  if (/^jobs:/m.test(block)) return /^on:/m.test(block) ? block : `on: push\n${block}`;
  const steps = block.replace(/^\n+/, '');
  return `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        index: [1]\n    steps:\n${steps}`;
}

test('the parser finds the mistakes a workflow can have (so that a clean result means something)', async () => {
  const broken = [
    'on: push',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    '      matrix: ${{ fromJSON(needs.plan.outputs.matrix }}',
    '    steps:',
    '      - uses: OWNER/timeshard@v1',
    '        whith: { mode: record }',
  ].join('\n');
  const found = await problems('broken.yml', broken);
  assert.ok(found.some((m) => /Line: 6/.test(m)), found.join('\n'));
  assert.ok(found.some((m) => /whith/.test(m)), found.join('\n'));
});

test('action.yml follows GitHub\'s action metadata schema', () => {
  const content = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
  const result = parser.parseAction({ name: 'action.yml', content }, new parser.NoOperationTraceWriter());
  assert.deepEqual(result.context.errors.getErrors().map((e) => e.message), []);
  // And a broken one is caught.
  const broken = content.replace(/^ {2}icon: .*$/m, '  icon: columns').replace('using: node24', 'using: node99');
  const found = parser.parseAction({ name: 'action.yml', content: broken }, new parser.NoOperationTraceWriter());
  const messages = found.context.errors.getErrors().map((e) => e.message).join('\n');
  assert.match(messages, /'columns'/);
  assert.match(messages, /'node99'/);
});

test('the repository\'s own workflows follow GitHub\'s workflow schema', async () => {
  const dir = path.join(ROOT, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));
  assert.ok(files.length >= 1);
  for (const f of files) {
    assert.deepEqual(await problems(f, readFileSync(path.join(dir, f), 'utf8')), [], f);
  }
});

test('every workflow and step list in the README follows GitHub\'s workflow schema', async () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, 'the README has its workflow examples');
  assert.ok(blocks.some((b) => /^jobs:/m.test(b)), 'one of them a whole workflow');
  for (const [i, block] of blocks.entries()) {
    assert.deepEqual(await problems(`README block ${i + 1}`, asWorkflow(block)), [], block);
  }
});
