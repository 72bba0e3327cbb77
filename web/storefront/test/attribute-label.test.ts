import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeLabel } from '../src/attribute-label.js';

test('a product attribute keyed as an identifier reads as words on the product page', () => {
  assert.equal(attributeLabel('dishwasherSafe'), 'Dishwasher safe');
  assert.equal(attributeLabel('batteryLife'), 'Battery life');
  assert.equal(attributeLabel('skinType'), 'Skin type');
  assert.equal(attributeLabel('material'), 'Material');
});

test('a name already written as words keeps its letters', () => {
  assert.equal(attributeLabel('USB ports'), 'USB ports');
  assert.equal(attributeLabel('Battery life'), 'Battery life');
  assert.equal(attributeLabel('ISBN'), 'ISBN');
  assert.equal(attributeLabel(''), '');
});
