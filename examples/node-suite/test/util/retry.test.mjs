import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retry } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('retry', () => {
  test('retries until success', async () => {
    await work(350);
    assert.equal(await retry(async (i) => { if (i < 2) throw new Error('flaky'); return i; }, 3), 2);
  });

  test('gives up', async () => {
    await work(250);
    assert.equal(await retry(async (i) => { if (i < 2) throw new Error('flaky'); return i; }, 3), 2);
  });
});
