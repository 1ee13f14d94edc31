import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { slugify } from '../../src/lib.mjs';
import { work } from '../helpers/work.mjs';

describe('strings', () => {
  test('slugs', async () => {
    await work(20);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test('slugs accents', async () => {
    await work(20);
    assert.equal(slugify('Crème brûlée'), 'creme-brulee');
  });

  test('odd name [say "hi"]', async () => {
    await work(20);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });

  test("it's quoted", async () => {
    await work(20);
    assert.equal(slugify('Crème brûlée'), 'creme-brulee');
  });

  test('ünïcödé name', async () => {
    await work(20);
    assert.equal(slugify('Hello, World!'), 'hello-world');
  });
});
