import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { topoSort } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('graph', () => {
  test('sorts a chain', async () => {
    await work(350);
    assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
  });

  test('sorts a diamond', async () => {
    await work(300);
    assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
  });

  test('rejects a cycle', async () => {
    await work(250);
    assert.throws(() => topoSort([['a', 'b'], ['b', 'a']]), /cycle/);
  });
});
