import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, parseDuration, slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('auth', () => {
  test('logs in', async () => {
    await work(30);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('logs out', async () => {
    await work(30);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });

  test('refreshes a token', async () => {
    await work(30);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('rejects a bad password', async () => {
    await work(20);
    assert.throws(() => parseDuration('soon'), RangeError);
  });
});
