/**
 * The product page's "Add to cart" on a network that loses answers, in headless Chromium
 * against the real gateway: the add reaches the store and its answer, and those of the typed
 * client's own retries, never come back; the shopper clicks again. The units go in once: every
 * call of that click, and the next click, carry one idempotency key. Once an add is answered,
 * the next click is a new add. Screenshots in test-artifacts/storefront/cart-change-key/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { CartDocument } from '../../../clients/typescript/src/index.js';
import { openShopWithProduct, type Customer, type ShopWithProduct, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront cart change key browser test');

describe('the product page\'s add to cart when its answers are lost', { skip }, () => {
  let supergraph: TestSupergraph;
  let shopper: Customer;
  let productId: string;
  let shop: StorefrontBrowser;

  let world: ShopWithProduct | undefined;

  before(async () => {
    world = await openShopWithProduct({ suite: 'cart-change-key', shopperName: 'Flaky Network Shopper', productName: 'Flaky network kettle', units: 20 });
    ({ supergraph, shopper, productId, shop } = world);
  });
  after(() => world?.close());

  test('an Add to cart whose every answer was lost, clicked again, adds its units once; the next answered click adds again', async () => {
    const { page, origin, shot } = shop;
    const keys: string[] = [];
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string; variables?: { idempotencyKey?: string } } | null;
      if (body?.operationName !== 'AddToCart') return route.fallback();
      keys.push(body.variables!.idempotencyKey!);
      // Every call of the first click reaches the store; none of its answers comes back.
      if (keys.length <= 3) {
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.fallback();
    });
    await page.goto(`${origin}/shop#/product/${encodeURIComponent(productId)}`);
    await page.locator('#product-title').waitFor();
    await page.getByLabel('Quantity').fill('2');
    const add = page.getByRole('button', { name: 'Add to cart' });
    await add.click();
    await page.getByRole('alert').waitFor();
    assert.equal(keys.length, 3, 'the client sent the add three times');
    await shot('no-answer');
    await add.click();
    await page.getByRole('status').filter({ hasText: 'Your cart has 2 items' }).waitFor();
    assert.equal(new Set(keys).size, 1, `every call of the add under one key: ${keys.join(' ')}`);
    assert.equal((await shopper.client.request(CartDocument)).cart.totalQuantity, 2);

    await add.click();
    await page.getByRole('status').filter({ hasText: 'Your cart has 4 items' }).waitFor();
    assert.equal(new Set(keys).size, 2, 'an answered add is followed by a new one');
    await shot('added-again');
    assert.deepEqual(shop.pageErrors, []);
  });
});
