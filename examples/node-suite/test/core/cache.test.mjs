import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, chunk, parseDuration } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('cache', () => {
  test('stores a value', async () => {
    await work(100);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });

  test('expires a value', async () => {
    await work(100);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('evicts the oldest', async () => {
    await work(50);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });
});
