/**
 * A customer buys a product through the storefront page at /shop, in headless Chromium on a
 * phone-sized screen, against the real gateway: home (trending and new arrivals), category,
 * search with autocomplete (keyboard only), product page, a guest cart, sign-up at checkout
 * (the guest cart merged into the new account), cart, address, checkout, and the order page
 * following the status live, without a reload. Screenshots of every step are kept in
 * test-artifacts/storefront/journey/ (git-ignored).
 */
import { randomUUID } from "node:crypto";
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { waitFor } from '#kernel/testing';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason, CHROMIUM_PATH, chromiumMissing, inCI } from '../../../test/support/headless-chromium.js';
import { openStorefront, WAIT_MS } from './support/storefront-browser.js';


if (chromiumMissing && inCI) {
  test('Chromium is installed for the storefront browser test', () => {
    assert.fail(`CI is set but Chromium is missing at ${CHROMIUM_PATH}; install it with "apt-get install -y chromium"`);
  });
}

// npm start's settings: development, with its response cache and rate limits, on embedded
// engines in a data folder of its own.
const dataDir = mkdtempSync(path.join(tmpdir(), 'storefront-journey-'));
let supergraph: TestSupergraph;
before(async () => {
  supergraph = await startTestSupergraph({ env: { APP_ENV: 'development', EMBEDDED_DATA_DIR: dataDir } });
});
after(async () => {
  await supergraph?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the storefront page is served at /shop and its assets are cached by content hash', async () => {
  const origin = supergraph.gatewayUrl.replace(/\/graphql$/, '');
  const page = await fetch(`${origin}/shop`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/shop\/[^"]+)"/g)].map((m) => m[1]!);
  assert.equal(assets.length, 2, html);
  for (const asset of assets) {
    const response = await fetch(`${origin}${asset}`);
    assert.equal(response.status, 200, asset);
    assert.match(response.headers.get('cache-control') ?? '', /immutable/);
    await response.arrayBuffer();
  }
});

test('a customer buys a product end to end on the supergraph as npm start runs it, and watches the order status change live', { skip: browserSkipReason('storefront browser test') }, async (t) => {
  const shop = await openStorefront(supergraph, 'journey');
  t.after(() => shop.close());
  const { origin, page, shot, pageErrors, foreignRequests } = shop;

  // Home: categories and new arrivals.
  await page.goto(`${origin}/shop`);
  await page.getByRole('heading', { name: 'New arrivals' }).waitFor();
  assert.ok((await page.locator('.product-card').count()) > 0, 'the home page lists products');
  // Categories read as the catalog names them ("Home & Kitchen"), not as their slugs.
  const tree = await supergraph.query(`{ categories { slug name children { slug name children { slug name } } } }`);
  type Named = { slug: string; name: string; children?: Named[] };
  const names = new Map<string, string>();
  const collect = (list: Named[]) => list.forEach((category) => (names.set(category.slug, category.name), collect(category.children ?? [])));
  collect((tree.data as { categories: Named[] }).categories);
  await page.waitForFunction(() => [...document.querySelectorAll('.chips a')].some((chip) => / & /.test(chip.textContent ?? '')));
  const chips = await page.locator('.chips a').evaluateAll((links) => links.map((link) => ({ slug: decodeURIComponent(link.getAttribute('href')!.split('/').pop()!), text: link.firstChild?.textContent?.trim() })));
  assert.ok(chips.length > 0, 'the home page offers categories');
  for (const chip of chips) assert.equal(chip.text, names.get(chip.slug), `the chip of ${chip.slug}`);
  await shot('home');

  // A misspelt search says its results are for similar words; words as typed do not.
  await page.goto(`${origin}/shop#/search?q=${encodeURIComponent('wirless headphones')}`);
  await page.getByText('results for similar words').waitFor();
  assert.equal(await page.locator('#listing-title').innerText(), 'Results for “wirless headphones”', 'the heading shows the words as typed');
  await page.goto(`${origin}/shop#/search?q=${encodeURIComponent('wireless headphones')}`);
  await page.getByText(/^\d+ products$/).waitFor();
  assert.equal(await page.getByText('results for similar words').count(), 0, 'words as typed match as typed');
  await page.goto(`${origin}/shop`);
  await page.getByRole('heading', { name: 'New arrivals' }).waitFor();

  // A category with facets and a sort order.
  await page.locator('.chips a').first().click();
  await page.locator('#listing-title').waitFor();
  await page.getByLabel('Sort by').selectOption('PRICE_ASC');
  await page.locator('.product-card').first().waitFor();
  await shot('category');

  // Search with autocomplete, by keyboard only. The whole name is typed: a shorter start (the
  // brand's) would put the brand's own suggestion first.
  const productName = (await page.locator('.product-card .product-name').first().innerText()).trim();
  const search = page.getByRole('combobox', { name: 'Search products' });
  await search.click();
  await search.pressSequentially(productName, { delay: 30 });
  const suggestions = page.getByRole('listbox', { name: 'Suggestions' });
  await suggestions.waitFor();
  await shot('autocomplete');
  // Brands and categories are suggested too: step down to the product's own suggestion.
  const position = await suggestions.getByRole('option').evaluateAll((options, name) => options.findIndex((option) => option.textContent?.trim() === name), productName);
  assert.ok(position >= 0, `the product is among the suggestions for "${productName.slice(0, 5)}"`);
  for (let step = 0; step <= position; step++) await search.press('ArrowDown');
  await search.press('Enter');
  await page.locator('#product-title').waitFor();
  await shot('product');

  // A visitor shops without an account: the first add starts a guest cart.
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByRole('status').filter({ hasText: 'Your cart has 1 item' }).waitFor();

  // A product with options: the colour chosen on its page is the variant that goes into the cart.
  const tee = await createTwoColourTee(supergraph);
  await page.goto(`${origin}/shop#/product/${encodeURIComponent(tee)}`);
  await page.locator('#product-title').filter({ hasText: 'Two-colour tee' }).waitFor();
  // Opening the page recorded a view: the tee, seen by no one before, now trends in its category.
  await waitFor('the product page view reaches trendingProducts', async () => {
    const trending = await supergraph.query(`{ trendingProducts(window: LAST_HOUR, categorySlug: "clothing", first: 50) { id } }`);
    return (trending.data?.trendingProducts ?? []).some((p: { id: string }) => p.id === tee);
  }, { timeoutMs: WAIT_MS, intervalMs: 200 });
  await page.getByText('In stock (1 left)').waitFor();
  await page.getByLabel('Colour', { exact: true }).selectOption('Blue');
  await page.getByText('In stock (2 left)').waitFor();
  await shot('product-variant');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByRole('status').filter({ hasText: 'Your cart has 2 items' }).waitFor();

  // The home page's trending rail has the tee now.
  await page.getByRole('link', { name: 'Storefront', exact: true }).click();
  await page.getByRole('list', { name: 'Trending now' }).getByText('Two-colour tee').waitFor();
  await shot('home-trending');

  // Cart, then checkout with a delivery address.
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Cart' }).click();
  await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  await page.locator('.cart-lines li').first().waitFor();
  await page.locator('.cart-lines li').filter({ hasText: 'Two-colour tee' }).filter({ hasText: 'Blue / M' }).waitFor();
  await shot('cart');
  // Checkout asks the guest to sign up; the new account gets the guest cart, and checkout follows.
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Name').fill('Browser Buyer');
  await page.getByLabel('Email').fill('browser-buyer@example.com');
  await page.getByLabel('Password').fill('correct horse battery staple');
  await shot('sign-up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Delivery address' }).waitFor();
  await page.getByLabel('Full name').fill('Browser Buyer');
  await page.getByLabel('Street and number').fill('1 Main Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  // A misspelt state is refused in the form's own words: the shopper never saw "region".
  await page.getByLabel('State or province').fill('Ilinois');
  await page.getByRole('button', { name: 'Use this address' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: /must be a US state/ });
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^State or province must be a US state/);
  await page.getByLabel('State or province').fill('IL');
  await page.getByRole('button', { name: 'Use this address' }).click();
  // A ZIP code of another state than the one named is refused too: tax follows the state, the parcel the code.
  const elsewhere = page.getByRole('alert').filter({ hasText: /^Postal code 12345 is NY's, not IL's/ });
  await elsewhere.waitFor();
  await page.getByLabel('Postal code').fill('62701');
  await shot('address');
  await page.getByRole('button', { name: 'Use this address' }).click();
  await page.getByRole('button', { name: 'Place order' }).waitFor();
  await shot('checkout');

  // The order page follows the status live: no reload happens from here on.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator('#order-title').waitFor();
  const orderId = decodeURIComponent(page.url().split('#/order/')[1] ?? '');
  assert.match(orderId, /\S/);
  const status = page.getByTestId('order-status');
  await page.waitForFunction(() => document.querySelector('[data-testid="order-status"]')?.textContent === 'Paid');
  await shot('order-paid');
  const admin = await supergraph.token('storefront-admin', ['customer', 'admin']);
  const shipped = await supergraph.query(`mutation($id: ID!) { shipOrder(id: $id) { id } }`, { id: orderId }, admin);
  assert.equal(shipped.errors, undefined, JSON.stringify(shipped.errors));
  await page.waitForFunction(() => document.querySelector('[data-testid="order-status"]')?.textContent === 'Shipped');
  assert.equal(await status.innerText(), 'Shipped');
  await shot('order-shipped');
  assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the status changed without a reload');

  assert.deepEqual(pageErrors, []);
  assert.deepEqual(foreignRequests, [], 'every request stays on the gateway origin');
});

/** A product in Red M (1 unit) and Blue M (2 units), created and stocked by an admin; its id. */
async function createTwoColourTee(supergraph: TestSupergraph): Promise<string> {
  const admin = await supergraph.token('storefront-catalog-admin', ['customer', 'admin']);
  const variant = (colour: string) => ({ sku: `BROWSER-TEE-${colour.toUpperCase()}-M`, options: [{ name: 'Colour', value: colour }, { name: 'Size', value: 'M' }], priceAmount: 1900 });
  const created = await supergraph.query(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id title } } }`,
    {
      input: {
        sku: 'BROWSER-TEE',
        name: 'Two-colour tee',
        description: 'A tee in red or blue',
        category: 'clothing',
        brand: 'Storefront',
        options: [{ name: 'Colour', values: ['Red', 'Blue'] }, { name: 'Size', values: ['M'] }],
        variants: [variant('Red'), variant('Blue')],
      },
    },
    admin,
  );
  assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  const { id, variants } = created.data!.createProduct as { id: string; variants: { id: string; title: string }[] };
  for (const { id: variantId, title } of variants) {
    const restocked = await supergraph.query(`mutation($v: ID!, $q: Int!) { restock(variantId: $v, quantity: $q, idempotencyKey: "${randomUUID()}") { available } }`, { v: variantId, q: title.startsWith('Blue') ? 2 : 1 }, admin);
    assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
  }
  return id;
}
