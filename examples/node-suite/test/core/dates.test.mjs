import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('dates', () => {
  test('parses seconds', async () => {
    await work(40);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('parses minutes', async () => {
    await work(60);
    assert.equal(parseDuration('1.5min'), 90);
  });

  test('rejects words', async () => {
    await work(80);
    assert.throws(() => parseDuration('soon'), RangeError);
  });
});
