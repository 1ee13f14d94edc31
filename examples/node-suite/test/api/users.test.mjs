import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, chunk, parseDuration, slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('users', () => {
  test('creates a user', async () => {
    await work(120);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('rejects a duplicate e-mail', async () => {
    await work(80);
    assert.throws(() => parseDuration('soon'), RangeError);
  });

  test('lists users by page', async () => {
    await work(60);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });

  test('deletes a user', async () => {
    await work(40);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });
});
