import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, sum } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('import', () => {
  test('imports a large file', async () => {
    await work(900);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });

  test('imports in batches', async () => {
    await work(900);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });
});
