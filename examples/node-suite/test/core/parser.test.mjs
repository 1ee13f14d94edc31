import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, parseDuration, slugify, sum, topoSort } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('parser', () => {
  test('parses ms', async () => {
    await work(20);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('parses s', async () => {
    await work(20);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('parses min', async () => {
    await work(20);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('rejects words', async () => {
    await work(20);
    assert.throws(() => parseDuration('soon'), RangeError);
  });

  test('slugs titles', async () => {
    await work(20);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('slugs accents', async () => {
    await work(20);
    assert.equal(slugify('Crème brûlée'), 'creme-brulee');
  });

  test('sums', async () => {
    await work(20);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });

  test('chunks', async () => {
    await work(20);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });

  test('parses a large document', async () => {
    await work(300);
    assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
  });
});
