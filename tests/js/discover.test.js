// Discovery: test list files (real pytest output), globs, sizes, report files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  anchorPatterns,
  globFiles,
  isPlainPath,
  matchFiles,
  normalizeId,
  parseTestList,
  searched,
  testSizes,
} from '../../js/discover.js';

const fixture = (name) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const PYTEST_IDS = [
  'tests/test_a.py::TestA::test_x',
  'tests/test_a.py::TestA::test_p[1]',
  'tests/test_a.py::TestA::test_p[a b]',
  'tests/test_a.py::TestA::test_p[x[y]]',
  'tests/test_a.py::test_top',
];

test('pytest --collect-only -q output: ids only, closing lines skipped', () => {
  for (const name of ['pytest-collect.txt', 'pytest-collect-warnings.txt']) {
    const list = parseTestList(fixture(name));
    assert.deepEqual(list.ids, PYTEST_IDS, name);
    assert.deepEqual(list.duplicates, []);
    assert.ok(list.skipped >= 1, name);
  }
});

test('test lists: blank lines, CRLF, ./ prefixes, duplicates, closing lines', () => {
  const cases = [
    ['a.py\n\nb.py\n', ['a.py', 'b.py'], []],
    ['a.py\r\nb.py\r\n', ['a.py', 'b.py'], []],
    ['./a.py::t\n.\\b.py\n', ['a.py::t', 'b.py'], []],
    ['a.py\na.py\n./a.py\n', ['a.py'], ['a.py', 'a.py']],
    ['a.py\n\n1 test collected in 0.01s\n', ['a.py'], []],
    ['no tests ran in 0.01s\n', [], []],
    ['a.py\n3/7 tests collected (4 deselected) in 0.02s\n', ['a.py'], []],
    ['a.py\n==== 1 error in 0.1s ====\nERROR x.py\n', ['a.py'], []],
    ['a.py::t[with spaces ]  \n', ['a.py::t[with spaces ]'], []],
    ['tests\\win\\x.py::T::t\\n\n', ['tests/win/x.py::T::t\\n'], []],
  ];
  for (const [text, ids, duplicates] of cases) {
    const list = parseTestList(text);
    assert.deepEqual(list.ids, ids, JSON.stringify(text));
    assert.deepEqual(list.duplicates, duplicates, JSON.stringify(text));
  }
});

test('normalizeId touches only the file part', () => {
  assert.equal(normalizeId('./a//b\\c.py::T::p[a\\b]'), 'a/b/c.py::T::p[a\\b]');
  assert.equal(normalizeId('././x.py'), 'x.py');
  // The fast path (nothing to change) against the rules applied to every id, on all short ids of these characters.
  const reference = (id) => {
    const cut = id.indexOf('::');
    let file = cut === -1 ? id : id.slice(0, cut);
    file = file.replaceAll('\\', '/').replace(/\/{2,}/g, '/');
    while (file.startsWith('./')) file = file.slice(2);
    return file + (cut === -1 ? '' : id.slice(cut));
  };
  const chars = ['a', '/', '\\', '.', ':'];
  let ids = [''];
  for (let len = 1; len <= 6; len += 1) {
    ids = ids.flatMap((id) => chars.map((c) => id + c));
    for (const id of ids) assert.equal(normalizeId(id), reference(id), JSON.stringify(id));
  }
});

test('anchorPatterns keeps negation and absolute patterns', () => {
  assert.deepEqual(anchorPatterns(['a/*.py', '!a/b.py', '/abs/*.py'], '/base'), [
    '/base/a/*.py',
    '!/base/a/b.py',
    '/abs/*.py',
  ]);
});

function tree(files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-discover-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

test('globs: files only, relative with /, sorted by code point, negation, no duplicates', async () => {
  const dir = tree({
    'tests/b_test.py': 'x'.repeat(10),
    'tests/a_test.py': 'x'.repeat(30),
    'tests/with space_test.py': 'x',
    'tests/Z_test.py': 'x',
    'tests/skip_test.py': 'x',
    'tests/sub/c_test.py': 'x'.repeat(5),
    'tests/dir_test.py/inner.txt': 'not a test',
    'other/d_test.py': 'x',
  });
  try {
    const found = await globFiles(['tests/**/*_test.py', 'tests/a_test.py', '!tests/skip_test.py'], dir);
    assert.deepEqual(found, [
      'tests/Z_test.py',
      'tests/a_test.py',
      'tests/b_test.py',
      'tests/sub/c_test.py',
      'tests/with space_test.py',
    ]);
    assert.deepEqual(await globFiles(['nothing/*.py'], dir), []);
    assert.deepEqual(await globFiles([], dir), []);
    const sizes = await testSizes(['tests/a_test.py', 'tests/b_test.py', 'missing.py'], dir);
    assert.deepEqual(sizes, [30, 10, null]);
    // A directory, a path through a file (ENOTDIR, not ENOENT) and a name too long for the system: no size either.
    const odd = await testSizes(['tests', 'tests/a_test.py/inner.py', `${'n'.repeat(5000)}.py`], dir);
    assert.deepEqual(odd, [null, null, null]);
    const shared = await testSizes(['tests/a_test.py::t1', 'tests/a_test.py::t2', 'tests/a_test.py::t3'], dir);
    assert.deepEqual(shared, [10, 10, 10]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report files: relative names, absolute paths and sizes, not read; nothing matched is a warning', async () => {
  const dir = tree({ 'reports/1/junit.xml': '<testsuites/>', 'reports/2/junit.xml': '<testsuite/>' });
  try {
    const found = await matchFiles(['reports/**/*.xml'], dir, 'report');
    assert.deepEqual(
      found.files.map((f) => [f.name, f.path, f.size]),
      [
        ['reports/1/junit.xml', path.join(dir, 'reports/1/junit.xml'), 13],
        ['reports/2/junit.xml', path.join(dir, 'reports/2/junit.xml'), 12],
      ],
    );
    assert.ok(found.files.every((f) => f.data === undefined));
    assert.deepEqual(found.warnings, []);
    const none = await matchFiles(['nope/*.xml'], dir, 'timing file');
    assert.deepEqual(none.files, []);
    assert.deepEqual(none.warnings, ['no timing file matched "nope/*.xml"']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plain paths match exactly what @actions/glob matches, without loading it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-plain-'));
  try {
    mkdirSync(path.join(dir, 'r', 'sub'), { recursive: true });
    for (const f of ['r/a.xml', 'r/b c.xml', 'r/sub/d.xml', 'r/Up.xml', 'r/@x+y,z=1.xml']) writeFileSync(path.join(dir, f), '<x/>');
    symlinkSync(path.join(dir, 'r', 'a.xml'), path.join(dir, 'r', 'link.xml'));
    symlinkSync(path.join(dir, 'r', 'gone.xml'), path.join(dir, 'r', 'broken.xml'));
    symlinkSync(path.join(dir, 'r', 'sub'), path.join(dir, 'r', 'linkdir'));
    const cases = [
      ['r/a.xml'],
      ['r/a.xml', 'r/a.xml', './r/a.xml', 'r/sub/../a.xml'],
      ['r/b c.xml', 'r/Up.xml', 'r/up.xml', 'r/@x+y,z=1.xml'],
      ['r/sub/d.xml', 'r/linkdir/d.xml', 'r/link.xml', 'r/broken.xml'],
      ['r', 'r/sub', 'r/sub/', 'r/a.xml/', 'r/a.xml/x', 'missing.xml', 'r//a.xml'],
      [path.join(dir, 'r', 'a.xml'), 'r/sub/d.xml'],
    ];
    for (const patterns of cases) {
      assert.ok(patterns.every(isPlainPath), JSON.stringify(patterns));
      const viaGlob = [...new Set((await searched(patterns, dir)).map((f) => path.relative(dir, f)))].sort();
      assert.deepEqual(await globFiles(patterns, dir), viaGlob, JSON.stringify(patterns));
    }
    // Anything a glob could read otherwise is not plain, and goes to @actions/glob.
    for (const p of ['r/*.xml', 'r/?.xml', 'r/[ab].xml', 'r/{a,b}.xml', 'r/@(a).xml', '!r/a.xml', '#r', '~/r',
      'r\\a.xml', ' r/a.xml', 'r/a.xml ', 'a\nb', '']) {
      assert.equal(isPlainPath(p), false, JSON.stringify(p));
    }
    assert.deepEqual(await globFiles(['r/*.xml', 'r/sub/d.xml'], dir), [
      'r/@x+y,z=1.xml', 'r/Up.xml', 'r/a.xml', 'r/b c.xml', 'r/link.xml', 'r/sub/d.xml',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
