import assert from 'node:assert/strict';
import { test } from 'node:test';
import { itemCount } from '../src/item-count.js';

test('the cart counts its items in the singular for one, as the product page does', () => {
  assert.equal(itemCount(1), '1 item');
  assert.equal(itemCount(0), '0 items');
  assert.equal(itemCount(2), '2 items');
  assert.equal(itemCount(1200), '1,200 items');
});
