import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typedQuantity } from '../src/typed-quantity.js';

test('a quantity box holds a whole number from its least; a fraction, a sign, an exponent or nothing is no quantity', () => {
  assert.equal(typedQuantity('3', 1), 3);
  assert.equal(typedQuantity(' 12 ', 1), 12);
  assert.equal(typedQuantity('0', 0), 0);
  for (const typed of ['0', '2.5', '-1', '+2', '1e3', '', ' ', 'two', '99999999999999999999']) assert.equal(typedQuantity(typed, 1), undefined, typed);
});
