import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formatMoney } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('checkout flow', () => {
  before(() => work(300));

  test('pays with a card', async () => {
    await work(700);
    assert.equal(formatMoney(-1205), '-12.05 EUR');
  });

  test('pays with an invoice', async () => {
    await work(500);
    assert.equal(formatMoney(7, 'USD'), '0.07 USD');
  });
});
