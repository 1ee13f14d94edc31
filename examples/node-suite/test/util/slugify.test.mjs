import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

test('slugs a title', async () => {
  await work(25);
  assert.equal(slugify('Hello, World!'), 'hello-world');
});

test('strips accents', async () => {
  await work(25);
  assert.equal(slugify('Crème brûlée'), 'creme-brulee');
});
