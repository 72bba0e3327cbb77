/**
 * What a search page runs and shows for odd input: a search link or paste longer than the
 * search subgraph answers, spaces only, nothing, an emoji at the cut.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoute } from '../src/route.js';
import { noSearchResults, SEARCH_QUERY_MAX_LENGTH, searchHeading } from '../src/search-words.js';

const searchOf = (q: string) => parseRoute({ hash: `#/search?q=${encodeURIComponent(q)}` });

test('a search link of 10 KB runs the first 200 characters, which the search answers, instead of a refusal', () => {
  assert.deepEqual(searchOf('a'.repeat(10_240)), { page: 'search', query: 'a'.repeat(SEARCH_QUERY_MAX_LENGTH) });
  assert.equal(SEARCH_QUERY_MAX_LENGTH, 200, 'the limit of search.service.ts');
});

test('the cut never splits a character: an emoji straddling it is left out whole', () => {
  const query = (searchOf(`${'a'.repeat(SEARCH_QUERY_MAX_LENGTH - 1)}🎧`) as { query: string }).query;
  assert.equal(query, 'a'.repeat(SEARCH_QUERY_MAX_LENGTH - 1));
  assert.equal((searchOf('🎧 headphones') as { query: string }).query, '🎧 headphones');
});

test('a search of spaces is the empty search, headed "All products", not results for “”', () => {
  assert.deepEqual(searchOf('   '), { page: 'search', query: '' });
  assert.equal(searchHeading(''), 'All products');
  assert.equal(searchHeading('"wireless" \'head\''), 'Results for “"wireless" \'head\'”');
});

test('a search that matches nothing says so, instead of "No products here yet."', () => {
  assert.equal(noSearchResults('🎧🎧'), 'No products match “🎧🎧”.');
});

test('a link with a malformed escape opens its page as typed instead of leaving the page blank', () => {
  assert.deepEqual(parseRoute({ hash: '#/category/100%' }), { page: 'category', name: '100%' });
  assert.deepEqual(parseRoute({ hash: '#/product/%ZZ' }), { page: 'product', id: '%ZZ' });
  assert.deepEqual(parseRoute({ hash: '#/order/%E0%A4%A' }), { page: 'order', id: '%E0%A4%A' });
});

test('NUL and unpaired surrogates in a link never reach the API, which refuses them with a developer\'s message', () => {
  assert.deepEqual(parseRoute({ hash: '#/product/a%00b' }), { page: 'product', id: 'ab' });
  assert.deepEqual(parseRoute({ hash: '#/search?q=head%00phones' }), { page: 'search', query: 'headphones' });
  assert.deepEqual(parseRoute({ hash: `#/category/${encodeURIComponent('x')}\uD800` }), { page: 'category', name: 'x' });
  assert.deepEqual(parseRoute({ hash: '#/search?q=%F0%9F%8E%A7' }), { page: 'search', query: '🎧' });
});
