import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, formatMoney, parseDuration, sum } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('orders', () => {
  test('places an order', async () => {
    await work(150);
    assert.equal(formatMoney(-1205), '-12.05 EUR');
  });

  test('cancels an order', async () => {
    await work(150);
    assert.equal(formatMoney(7, 'USD'), '0.07 USD');
  });

  test('totals line items', async () => {
    await work(100);
    assert.equal(sum([1, 2, 3.5]), 6.5);
  });

  test('pages through orders', async () => {
    await work(50);
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });

  test('rejects an empty cart', async () => {
    await work(50);
    assert.throws(() => parseDuration('soon'), RangeError);
  });
});
