import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, slugify, sum } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('render', () => {
  test('renders the dashboard', async () => {
    await work(400);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });

  test('renders the settings page', async () => {
    await work(400);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('renders the report page', async () => {
    await work(400);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });
});
