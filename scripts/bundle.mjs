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
import { builtinModules } from 'node:module';
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
/** Source of a module exporting classes that throw `timeshard: <why>` when constructed. */
function stubClasses(names, why) {
  const error = JSON.stringify(`timeshard: ${why}`);
  return names.map((n) => `export class ${n} { constructor() { throw new Error(${error}); } }`).join('\n');
}

const withoutUndici = {
  name: 'without-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'timeshard-stub' }));
    b.onLoad({ filter: /^undici$/, namespace: 'timeshard-stub' }, () => ({
      contents: stubClasses(['ProxyAgent'], 'undici ProxyAgent is not bundled'),
      loader: 'js',
    }));
  },
};

// Node built-ins are taken with require() instead of ES imports. An ES import of a built-in makes Node build an ES
// module facade for it, which reads every export: for node:fs that includes the lazy `ReadStream` getter, which loads
// the whole streams implementation (~5 ms of each start, in a profile of `node dist/cli.js --version`). require()
// returns the built-in's exports object as it is. Only import statements are redirected: the require() in the
// generated module goes to Node, through the banner's require.
const builtinPattern = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: builtinPattern }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path.replace(/^node:/, ''), namespace: 'timeshard-builtin' }
        : { path: args.path, external: true },
    );
    b.onLoad({ filter: /.*/, namespace: 'timeshard-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

// The command line makes no HTTP requests, but @actions/glob imports @actions/core, whose OIDC helper imports
// @actions/http-client, which loads node:http, node:https, node:tls and node:net (through `tunnel`) as it is
// evaluated: ~10 ms of each CLI start. In dist/cli.js and dist/parse-worker.js it is replaced by a class that
// throws if it is ever constructed (only core.getIDToken would; nothing in the CLI calls it). dist/index.js, the
// action, keeps the real client: the cache talks HTTP.
const withoutHttpClient = {
  name: 'without-http-client',
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client(\/lib\/auth)?$/ }, (args) => ({
      path: args.path,
      namespace: 'timeshard-stub',
    }));
    b.onLoad({ filter: /^@actions\/http-client/, namespace: 'timeshard-stub' }, () => ({
      contents: stubClasses(
        // What @actions/core imports (a name it starts to import and this lacks fails the build, not a run).
        ['HttpClient', 'BearerCredentialHandler'],
        'the command line bundle has no HTTP client',
      ),
      loader: 'js',
    }));
  },
};

async function bundle(outdir) {
  if (!existsSync(wasm)) {
    throw new Error(`${path.relative(root, wasm)} is missing: run \`npm run build:wasm\` first`);
  }
  mkdirSync(outdir, { recursive: true });
  for (const [entry, out, plugins] of [
    ['js/index.js', 'index.js', [withoutUndici, builtinsByRequire]],
    ['js/cli.js', 'cli.js', [withoutUndici, withoutHttpClient, builtinsByRequire]],
    ['js/parse-worker.js', 'parse-worker.js', [withoutUndici, withoutHttpClient, builtinsByRequire]],
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
      plugins,
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
