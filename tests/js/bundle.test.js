// scripts/bundle.mjs: the wasm copied into dist/ loses only its `name` section.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { brotliDecompressSync } from 'node:zlib';
import { compressWasm, WASM_BR, withoutNameSection } from '../../scripts/bundle.mjs';

/** Section list of a module: [{ id, name, bytes }]. */
function sections(bytes) {
  const out = [];
  let at = 8;
  const leb = (i) => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return { value, next: i };
    }
  };
  while (at < bytes.length) {
    const id = bytes[at];
    const size = leb(at + 1);
    let name = '';
    if (id === 0) {
      const n = leb(size.next);
      name = Buffer.from(bytes.subarray(n.next, n.next + n.value)).toString();
    }
    out.push({ id, name, bytes: Buffer.from(bytes.subarray(at, size.next + size.value)) });
    at = size.next + size.value;
  }
  return out;
}

const custom = (name, payload) => {
  const nameBytes = Buffer.from(name);
  const body = Buffer.concat([Buffer.from([nameBytes.length]), nameBytes, Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0, body.length]), body]);
};
const HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
// (module (func)) with a type and a function section.
const TYPE = Buffer.from([1, 4, 1, 0x60, 0, 0]);
const FUNC = Buffer.from([3, 2, 1, 0]);
const CODE = Buffer.from([10, 4, 1, 2, 0, 0x0b]);

test('a hand-made module: only the name section goes', () => {
  const module = Buffer.concat([HEADER, TYPE, FUNC, CODE, custom('name', [1, 2, 3]), custom('producers', [9])]);
  assert.ok(WebAssembly.validate(module));
  const stripped = withoutNameSection(module);
  assert.ok(WebAssembly.validate(stripped));
  assert.deepEqual(stripped, Buffer.concat([HEADER, TYPE, FUNC, CODE, custom('producers', [9])]));
  const plain = Buffer.concat([HEADER, TYPE, FUNC, CODE]);
  assert.deepEqual(withoutNameSection(plain), plain);
});

test('broken input is refused, not half-copied', () => {
  assert.throws(() => withoutNameSection(Buffer.from('not wasm at all')), /not a wasm module/);
  assert.throws(() => withoutNameSection(Buffer.concat([HEADER, Buffer.from([1, 20, 1])])), /truncated/);
});

const pkg = new URL('../../pkg/timeshard_bg.wasm', import.meta.url);
const dist = new URL(`../../dist/${WASM_BR}`, import.meta.url);

test('the real module: valid, every section but `name` kept', { skip: existsSync(pkg) ? false : 'pkg/ not built' }, () => {
  const original = readFileSync(pkg);
  const stripped = withoutNameSection(original);
  assert.ok(WebAssembly.validate(stripped));
  const before = sections(original);
  const after = sections(stripped);
  assert.deepEqual(
    after.map((s) => s.bytes),
    before.filter((s) => !(s.id === 0 && s.name === 'name')).map((s) => s.bytes),
  );
  assert.equal(after.some((s) => s.id === 0 && s.name === 'name'), false);
});

test('compressWasm inflates back to the same bytes and is deterministic', () => {
  const module = Buffer.concat([HEADER, TYPE, FUNC, CODE, custom('producers', Buffer.alloc(4000, 7))]);
  const packed = compressWasm(module);
  assert.ok(packed.length < module.length / 4, `${packed.length} of ${module.length} bytes`);
  assert.deepEqual(brotliDecompressSync(packed), module);
  assert.deepEqual(compressWasm(module), packed);
});

test('dist/ holds the stripped module of pkg/, compressed', { skip: existsSync(pkg) && existsSync(dist) ? false : 'not built' }, () => {
  // Differs only when pkg/ was rebuilt from newer sources without `npm run build:js` (check-dist catches that too).
  const expected = withoutNameSection(readFileSync(pkg));
  assert.ok(brotliDecompressSync(readFileSync(dist)).equals(expected), `dist/${WASM_BR} is not pkg/timeshard_bg.wasm stripped: run npm run build:js`);
});
