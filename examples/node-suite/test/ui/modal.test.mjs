import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('modal', () => {
  test('opens', async () => {
    await work(60);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });

  test('closes on escape', async () => {
    await work(60);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });
});
