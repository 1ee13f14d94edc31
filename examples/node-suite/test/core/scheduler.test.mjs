import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Queue, retry, sum, topoSort } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('scheduler', () => {
  before(() => work(200));

  test('orders jobs by dependency', async () => {
    await work(400);
    assert.deepEqual(topoSort([['a', 'b'], ['b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
  });

  test('detects a cycle', async () => {
    await work(400);
    assert.throws(() => topoSort([['a', 'b'], ['b', 'a']]), /cycle/);
  });

  test('retries a failed job', async () => {
    await work(400);
    assert.equal(await retry(async (i) => { if (i < 2) throw new Error('flaky'); return i; }, 3), 2);
  });

  test('drains the queue', async () => {
    await work(400);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });

  test('reports totals', async () => {
    await work(400);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });
});
