import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldMessage } from '../src/field-message.js';

const labels = { region: 'State or province', country: 'Country code (2 letters)' };

test("a refusal naming a form's field reads with the field's label, not the API argument's name", () => {
  assert.equal(
    fieldMessage('region must be a US state, district or territory: its ISO 3166-2 code such as IL, or its name such as Illinois', { code: 'BAD_USER_INPUT', field: 'region' }, labels),
    'State or province must be a US state, district or territory: its ISO 3166-2 code such as IL, or its name such as Illinois',
  );
  assert.equal(fieldMessage('country must be an ISO 3166-1 alpha-2 country code such as DE', { field: 'country' }, labels), 'Country code (2 letters) must be an ISO 3166-1 alpha-2 country code such as DE');
});

test('a message that does not begin with the field, or names a field the form lacks, is shown as the server gave it', () => {
  assert.equal(fieldMessage('Give a valid email address', { field: 'email' }, labels), 'Give a valid email address');
  assert.equal(fieldMessage('The region is taxed elsewhere', { field: 'region' }, labels), 'The region is taxed elsewhere');
  assert.equal(fieldMessage('regional words', { field: 'region' }, labels), 'regional words');
  assert.equal(fieldMessage('toString must be', { field: 'toString' }, labels), 'toString must be');
  assert.equal(fieldMessage('region must be', undefined, labels), 'region must be');
});
