// Finding things on disk: test files from globs, test ids from a list file, file sizes for the no-history estimate,
// and report/timing files as bytes for the core. Paths come out relative to the base directory, with `/`.

import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Largest report or timing file read (bytes); larger ones are skipped with a warning. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Code-point order, independent of the locale: discovered ids are sorted with it so plans are deterministic. */
export function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `p` relative to `base`, with forward slashes (test ids use `/` on every OS). */
export function relativePath(base, p) {
  const rel = path.relative(base, p);
  return rel.split(path.sep).join('/');
}

/**
 * Light path normalisation for ids typed by hand or printed by a collector, the same rules the core's
 * `normalize_path` applies, to the file part only (before the first `::`): `\` → `/`, leading `./` removed,
 * `//` collapsed.
 */
export function normalizeId(id) {
  const cut = id.indexOf('::');
  const end = cut === -1 ? id.length : cut;
  // Nearly every id needs nothing: returned as it is, without cutting it apart (lists run to 200k ids).
  const backslash = id.indexOf('\\');
  const doubled = id.indexOf('//');
  if ((backslash === -1 || backslash > end) && (doubled === -1 || doubled > end) && !id.startsWith('./')) return id;
  let file = cut === -1 ? id : id.slice(0, cut);
  const rest = cut === -1 ? '' : id.slice(cut);
  file = file.replaceAll('\\', '/').replace(/\/{2,}/g, '/');
  while (file.startsWith('./')) file = file.slice(2);
  return file + rest;
}

/** Makes each glob pattern relative to `base` (keeping a leading `!`), as @actions/glob resolves from the cwd. */
export function anchorPatterns(patterns, base) {
  return patterns.map((p) => {
    const negated = p.startsWith('!');
    const body = negated ? p.slice(1) : p;
    const anchored = path.isAbsolute(body) ? body : path.join(base, body);
    return (negated ? '!' : '') + anchored;
  });
}

/**
 * Whether @actions/glob would take `pattern` as a plain path: no wildcard, class, brace, extglob or escape
 * character, no negation, comment or home-directory prefix, no line break, no white space at either end (globs are
 * trimmed). Such a pattern matches the file it names, if that is a file (symbolic links followed), and nothing else.
 */
export function isPlainPath(pattern) {
  return pattern !== '' && pattern === pattern.trim() && !/[*?[\]{}()!#~\\\n\r]/.test(pattern);
}

/**
 * globFiles for plain paths (isPlainPath): each one that is a file, as @actions/glob matches it. Shells
 * expand globs on the command line, so the CLI mostly gets these; they do not load @actions/glob and its
 * dependencies (@actions/core, @actions/exec, …: ~10 ms of a start, in a profile of the CLI).
 */
async function plainFiles(patterns, base) {
  const found = await Promise.all(
    anchorPatterns(patterns, base).map(async (full) => {
      try {
        return (await stat(full)).isFile() ? [full] : [];
      } catch {
        return []; // missing, a broken link, not a directory on the way: no match, as with a glob
      }
    }),
  );
  return found.flat();
}

/** Files (not directories) matched by the globs, relative to `base`, sorted, unique. */
export async function globFiles(patterns, base) {
  if (patterns.length === 0) return [];
  const found = patterns.every(isPlainPath) ? await plainFiles(patterns, base) : await searched(patterns, base);
  return [...new Set(found.map((f) => relativePath(base, f)))].sort(byCodePoint);
}

/**
 * Absolute paths of the files @actions/glob matches, without the plain-path shortcut (the module is loaded on first
 * use: see plainFiles).
 */
export async function searched(patterns, base) {
  const glob = await import('@actions/glob');
  const globber = await glob.create(anchorPatterns(patterns, base).join('\n'), {
    matchDirectories: false,
    implicitDescendants: false,
    followSymbolicLinks: true,
  });
  return globber.glob();
}

/**
 * Test ids from a list file: one id a line. Skips blank lines, pytest's closing lines ("12 tests collected in
 * 0.03s", "no tests ran", "1/3 tests collected (2 deselected)") and everything from pytest's first `=====` section
 * header on (warnings and errors summaries). Duplicates are dropped, each one reported.
 * Returns { ids, skipped, duplicates } with ids in first-seen order.
 */
export function parseTestList(text) {
  const ids = [];
  const seen = new Set();
  const duplicates = [];
  let skipped = 0;
  let inSection = false;
  // Split at LF only: trim() drops the CR of a CRLF line.
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (inSection || isPytestClosingLine(line)) {
      skipped += 1;
      continue;
    }
    if (line.startsWith('===')) {
      inSection = true;
      skipped += 1;
      continue;
    }
    const id = normalizeId(line);
    if (seen.has(id)) {
      duplicates.push(id);
      continue;
    }
    seen.add(id);
    ids.push(id);
  }
  return { ids, skipped, duplicates };
}

/** The lines pytest prints after the ids of `--collect-only -q`. */
function isPytestClosingLine(line) {
  // Each pattern starts with a digit, `no` or `--`: any other line is an id, without running the patterns.
  const first = line.charCodeAt(0);
  if (!((first >= 48 && first <= 57) || first === 110 || first === 45)) return false;
  return (
    /^(\d+(\/\d+)?|no) tests? (collected|ran|deselected|selected)\b/.test(line) ||
    /^\d+ (errors?|warnings?)\b.* in [\d.]+s/.test(line) ||
    /^-- Docs: https?:\/\//.test(line)
  );
}

/** Reads a test list file relative to `base`; returns the same as parseTestList. */
export async function readTestList(file, base) {
  const text = await readFile(path.resolve(base, file), 'utf8');
  return parseTestList(text);
}

/**
 * A size per test for the no-history estimate: for a file id, the file's bytes; for `file::…` ids, the file's
 * bytes shared equally by the listed ids of that file; null when the file cannot be read. One synchronous stat per
 * file, without an exception for a missing one: for 16,000 files that took ~50 ms where a promise per file took
 * 210–300 ms (a missing file also paid for building an error).
 */
export function testSizes(ids, base) {
  // One record per file, { count, share }; each id takes its file's record over from the previous id when they
  // share the file (a file's tests are listed together), so most ids neither cut nor look up their file.
  const perFile = new Map();
  const records = new Array(ids.length);
  let file = null;
  let record = null;
  ids.forEach((id, i) => {
    const cut = id.indexOf('::');
    const end = cut === -1 ? id.length : cut;
    if (file === null || file.length !== end || !id.startsWith(file)) {
      file = cut === -1 ? id : id.slice(0, cut);
      record = perFile.get(file);
      if (record === undefined) {
        record = { count: 0, share: null };
        perFile.set(file, record);
      }
    }
    record.count += 1;
    records[i] = record;
  });
  for (const [name, r] of perFile) {
    let info;
    try {
      info = statSync(path.resolve(base, name), { throwIfNoEntry: false });
    } catch {
      info = undefined; // not a path this system can stat (too long, a file where a directory should be, …)
    }
    r.share = info?.isFile() ? info.size / r.count : null;
  }
  return records.map((r) => r.share);
}

/**
 * A Buffer's bytes as a plain Uint8Array over the same memory. `new Uint8Array(buffer)` would copy them: for the
 * 47 MB of reports of a large suite that was a second copy, ~12k more page faults and ~20 ms.
 */
export function bytesOf(buffer) {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** How many report or timing files are looked at at once. */
const READ_CONCURRENCY = 8;

/**
 * Runs `each(name, fullPath)` over the files matched by the globs, a few at a time, keeping glob order; returns
 * { files, warnings } from results that are { file } or { warning }.
 */
async function overMatched(patterns, base, what, each) {
  const warnings = [];
  const names = await globFiles(patterns, base);
  if (patterns.length > 0 && names.length === 0) {
    warnings.push(`no ${what} matched ${patterns.map((p) => JSON.stringify(p)).join(', ')}`);
  }
  // A few at a time (the file system answers in parallel); all at once could run out of file descriptors.
  const results = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next;
      next += 1;
      results[i] = await each(names[i], path.resolve(base, names[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  const files = [];
  for (const r of results) {
    if (r.warning !== undefined) warnings.push(r.warning);
    else files.push(r.file);
  }
  return { files, warnings };
}

/** The size check every matched file passes: { warning } for one that is missing or too large, else { size }. */
async function sized(name, full, what) {
  try {
    const info = await stat(full);
    if (info.size > MAX_FILE_BYTES) {
      return { warning: `${what} ${JSON.stringify(name)} skipped: ${info.size} bytes, over ${MAX_FILE_BYTES}` };
    }
    return { size: info.size };
  } catch (error) {
    return { warning: `${what} ${JSON.stringify(name)} could not be read: ${error.message}` };
  }
}

/**
 * Report or timing files matched by the globs, as [{ name, path, size }]: name relative to `base`, path absolute,
 * size when matched. They are not read here: the core reads them straight into its memory (js/engine.js), so a
 * large report is never copied through a JS buffer. A file that is missing or larger than MAX_FILE_BYTES becomes a
 * warning. Returns { files, warnings }.
 */
export async function matchFiles(patterns, base, what) {
  return overMatched(patterns, base, what, async (name, full) => {
    const checked = await sized(name, full, what);
    return checked.warning !== undefined ? checked : { file: { name, path: full, size: checked.size } };
  });
}
