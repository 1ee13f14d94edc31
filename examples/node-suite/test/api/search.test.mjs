import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify, topoSort } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

test('finds by name', async () => {
  await work(200);
  assert.equal(slugify('Hello, World!'), 'hello-world');
});

test('finds by tag', async () => {
  await work(200);
  assert.equal(slugify('Crème brûlée'), 'creme-brulee');
});

test('ranks exact matches first', async () => {
  await work(100);
  assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
});
