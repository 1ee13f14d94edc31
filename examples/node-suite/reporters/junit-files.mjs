// A JUnit reporter for `node --test` that says which file every test is in.
//
// Node's built-in `--test-reporter=junit` writes no file information (every case has classname="test" and the
// suites are named after describe() titles), so no tool can tell which file a time belongs to. This reporter writes
// one <testsuite> per test file, and on every <testcase> `file` (the path relative to the working directory, with
// `/`) and `classname` equal to that file, which is how Playwright and vitest mark cases too. The case name is the
// describe() chain and the test title joined with " > ". The suite time is the file's top-level time: tests plus
// the hooks of its describe() blocks.
//
// Usage: node --test --test-reporter=./reporters/junit-files.mjs --test-reporter-destination=junit.xml ...
// (combine with `--test-reporter=spec --test-reporter-destination=stdout` to keep the console output).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

function escapeXml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function relativeFile(file) {
  if (!file) return '(unknown file)';
  const absolute = file.startsWith('file:') ? fileURLToPath(file) : file;
  return path.relative(process.cwd(), absolute).split(path.sep).join('/');
}

export default async function* junitFiles(source) {
  // Per file: the titles of the open describe() blocks by nesting level, the finished cases, the top-level time.
  const files = new Map();
  const fileState = (file) => {
    const name = relativeFile(file);
    if (!files.has(name)) files.set(name, { open: [], cases: [], seconds: 0 });
    return files.get(name);
  };
  for await (const event of source) {
    const data = event.data ?? {};
    if (event.type === 'test:start') {
      const state = fileState(data.file);
      state.open.length = data.nesting;
      state.open.push(data.name);
    } else if (event.type === 'test:pass' || event.type === 'test:fail') {
      const state = fileState(data.file);
      const seconds = (data.details?.duration_ms ?? 0) / 1000;
      if (data.nesting === 0) state.seconds += seconds;
      if (data.details?.type === 'suite') continue;
      const parents = state.open.slice(0, data.nesting);
      state.cases.push({
        name: [...parents, data.name].join(' > '),
        seconds,
        failed: event.type === 'test:fail',
        skipped: Boolean(data.skip || data.todo),
        message: event.type === 'test:fail' ? String(data.details?.error?.message ?? 'failed') : '',
      });
    }
  }
  const out = ['<?xml version="1.0" encoding="utf-8"?>', '<testsuites name="node --test">'];
  for (const name of [...files.keys()].sort()) {
    const state = files.get(name);
    const failures = state.cases.filter((c) => c.failed).length;
    const skipped = state.cases.filter((c) => c.skipped).length;
    out.push(
      `  <testsuite name="${escapeXml(name)}" file="${escapeXml(name)}" tests="${state.cases.length}" ` +
        `failures="${failures}" skipped="${skipped}" time="${state.seconds.toFixed(6)}">`,
    );
    for (const c of state.cases) {
      const attrs = `classname="${escapeXml(name)}" name="${escapeXml(c.name)}" file="${escapeXml(name)}" time="${c.seconds.toFixed(6)}"`;
      if (c.failed) {
        out.push(`    <testcase ${attrs}><failure message="${escapeXml(c.message)}"/></testcase>`);
      } else if (c.skipped) {
        out.push(`    <testcase ${attrs}><skipped/></testcase>`);
      } else {
        out.push(`    <testcase ${attrs}/>`);
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  yield `${out.join('\n')}\n`;
}
