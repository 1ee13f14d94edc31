import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMoney, sum } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('money', () => {
  test('formats euros', async () => {
    await work(20);
    assert.equal(formatMoney(-1205), '-12.05 EUR');
  });

  test('formats dollars', async () => {
    await work(20);
    assert.equal(formatMoney(7, 'USD'), '0.07 USD');
  });

  test('adds amounts', async () => {
    await work(20);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });

  test('formats negatives', async () => {
    await work(20);
    assert.equal(formatMoney(-1205), '-12.05 EUR');
  });
});
