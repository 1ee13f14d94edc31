import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Queue, slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('button', () => {
  test('renders a label', async () => {
    await work(30);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('fires on click', async () => {
    await work(30);
    const q = new Queue().push(1).push(2);
    assert.equal(q.shift(), 1);
    assert.equal(q.size, 1);
  });
});
