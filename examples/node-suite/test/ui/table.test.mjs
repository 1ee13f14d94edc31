import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, topoSort } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('table', () => {
  test('pages rows', async () => {
    await work(300);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });

  test('sorts a column', async () => {
    await work(200);
    assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
  });
});
