import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, parseDuration, retry } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('form', () => {
  test('validates fields', async () => {
    await work(120);
    assert.throws(() => parseDuration('soon'), RangeError);
  });

  test('submits', async () => {
    await work(180);
    assert.equal(await retry(async (i) => { if (i < 2) throw new Error('flaky'); return i; }, 3), 2);
  });

  test('resets', async () => {
    await work(90);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });
});
