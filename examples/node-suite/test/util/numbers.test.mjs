import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, sum } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('numbers', () => {
  test('sums', async () => {
    await work(40);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });

  test('chunks', async () => {
    await work(50);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });
});
