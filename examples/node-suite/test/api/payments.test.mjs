import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMoney, retry } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('payments', () => {
  test('charges a card', async () => {
    await work(600);
    assert.equal(formatMoney(-1205), '-12.05 EUR');
  });

  test('refunds a charge', async () => {
    await work(500);
    assert.equal(formatMoney(7, 'USD'), '0.07 USD');
  });

  test('retries a timeout', async () => {
    await work(400);
    assert.equal(await retry(async (i) => { if (i < 2) throw new Error('flaky'); return i; }, 3), 2);
  });
});
