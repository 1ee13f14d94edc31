import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

test('applies the dark theme', async () => {
  await work(20);
  assert.equal(slugify('Hello, World!'), 'hello-world');
});
