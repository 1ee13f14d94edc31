import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('queue', () => {
  test('keeps order', async () => {
    await work(250);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });

  test('reports its size', async () => {
    await work(150);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });
});
