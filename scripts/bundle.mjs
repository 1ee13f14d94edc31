// Builds dist/: js/index.js → dist/index.js (the action), js/cli.js → dist/cli.js (the command line) and
// js/parse-worker.js → dist/parse-worker.js (the parse threads both start, js/parse-threads.js), all ES
// modules for Node (target node20, so the CLI also runs on Node 20), minified, plus the wasm next to them (without its
// debug-name section, brotli-compressed: timeshard_bg.wasm.br) and a package.json that marks dist/ as ESM on its own.
// Deterministic: the same sources give the same bytes (CI diffs dist/).
//
// Why compressed: dist/ is fetched by every workflow run that uses the action, and the speed-optimised module is
// ~660 KiB raw against ~205 KiB compressed; js/engine.js inflates it at load (~3 ms, node:zlib, no dependency).
//
// Usage: node scripts/bundle.mjs [--check]   (--check: build to a temp dir and fail if dist/ differs; the .br file is
// compared by its decompressed bytes, since brotli encoders of different Node versions may pick other encodings)

import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wasm = path.join(root, 'pkg', 'timeshard_bg.wasm');

// Some bundled dependencies are CommonJS inside and call require() for Node built-ins; an ES bundle has no
// require, so one is made from the bundle's own URL.
const banner = [
  '// timeshard — bundled by scripts/bundle.mjs from js/; do not edit, rebuild with `npm run build:js`.',
  "import { createRequire as __timeshardCreateRequire } from 'node:module';",
  'const require = __timeshardCreateRequire(import.meta.url);',
].join('\n');

// @actions/http-client imports undici only for ProxyAgent, used by HttpClient.getAgentDispatcher(), which nothing
// timeshard bundles calls (requests go through node:http with the `tunnel` agent for proxies). undici is 400 KiB of
// each bundle, so it is replaced by a stub that throws if that path is ever reached.
const withoutUndici = {
  name: 'without-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'timeshard-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'timeshard-stub' }, () => ({
      contents:
        'export class ProxyAgent { constructor() { throw new Error("timeshard: undici ProxyAgent is not bundled"); } }',
      loader: 'js',
    }));
  },
};

async function bundle(outdir) {
  if (!existsSync(wasm)) {
    throw new Error(`${path.relative(root, wasm)} is missing: run \`npm run build:wasm\` first`);
  }
  mkdirSync(outdir, { recursive: true });
  for (const [entry, out] of [
    ['js/index.js', 'index.js'],
    ['js/cli.js', 'cli.js'],
    ['js/parse-worker.js', 'parse-worker.js'],
  ]) {
    await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: path.join(outdir, out),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      banner: { js: banner },
      plugins: [withoutUndici],
      logLevel: 'warning',
    });
  }
  writeFileSync(path.join(outdir, WASM_BR), compressWasm(withoutNameSection(readFileSync(wasm))));
  writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
}

/** The compressed module's file name in dist/ (js/engine.js loads it). */
export const WASM_BR = 'timeshard_bg.wasm.br';

/** Brotli at its best quality (the build pays ~1 s once; every run saves the bytes). */
export function compressWasm(bytes) {
  return brotliCompressSync(bytes, {
    params: {
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_GENERIC,
      [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

/** A dist/ file's content for comparison: the module itself for the compressed wasm (null if it does not inflate),
 * else the bytes. */
function content(file) {
  const bytes = readFileSync(file);
  if (!file.endsWith('.br')) return bytes;
  try {
    return brotliDecompressSync(bytes);
  } catch {
    return null;
  }
}

function sameContent(a, b) {
  const x = content(a);
  const y = content(b);
  return x !== null && y !== null && x.equals(y);
}

/**
 * The wasm module without its `name` custom section (debug names of functions, ~60 KiB of a ~650 KiB module; only
 * stack traces of a trap would show them, and the core reports errors as values, not traps). Every other section is
 * copied byte for byte. Wasm binary format: 8-byte header, then sections `id (1 byte) · size (LEB128) · payload`;
 * a custom section (id 0) starts its payload with its name (LEB128 length + UTF-8).
 */
export function withoutNameSection(bytes) {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) throw new Error('not a wasm module');
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    let i = at;
    for (;;) {
      const byte = bytes[i];
      if (byte === undefined) throw new Error('truncated wasm module');
      i += 1;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return { value, next: i };
    }
  };
  const kept = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = leb(at + 1);
    const end = size.next + size.value;
    if (end > bytes.length) throw new Error('truncated wasm module');
    let drop = false;
    if (id === 0) {
      const nameLength = leb(size.next);
      const name = Buffer.from(bytes.subarray(nameLength.next, nameLength.next + nameLength.value)).toString('utf8');
      drop = name === 'name';
    }
    if (!drop) kept.push(bytes.subarray(at, end));
    at = end;
  }
  return Buffer.concat(kept);
}

function listFiles(dir) {
  return readdirSync(dir).sort();
}

async function main() {
  if (process.argv.includes('--check')) {
    const tmp = mkdtempSync(path.join(tmpdir(), 'timeshard-dist-'));
    try {
      await bundle(tmp);
      const dist = path.join(root, 'dist');
      const want = listFiles(tmp);
      const have = existsSync(dist) ? listFiles(dist) : [];
      const differ = want.filter((f) => !have.includes(f) || !sameContent(path.join(tmp, f), path.join(dist, f)));
      const extra = have.filter((f) => !want.includes(f));
      if (differ.length > 0 || extra.length > 0) {
        console.error(`dist/ is out of date (differs: ${differ.join(', ') || '-'}; extra: ${extra.join(', ') || '-'}); run \`npm run build\``);
        process.exitCode = 1;
        return;
      }
      console.log('dist/ is up to date');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return;
  }
  const dist = path.join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  await bundle(dist);
  let total = 0;
  for (const f of listFiles(dist)) {
    const size = readFileSync(path.join(dist, f)).length;
    total += size;
    console.log(`dist/${f}  ${(size / 1024).toFixed(1)} KiB`);
  }
  console.log(`dist/ total ${(total / 1024).toFixed(1)} KiB`);
}

// Build only when run as a script (tests import withoutNameSection).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
