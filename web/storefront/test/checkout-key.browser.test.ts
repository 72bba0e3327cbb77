/**
 * The checkout page's idempotency key across refusals, in headless Chromium against the real
 * gateway: the cart changed in another tab while an order was being placed (CART_CHANGED) binds
 * the key to the cart as it was, so the page's next "Place order" sends a new key and places the
 * cart as it now shows; a failure that says nothing of the cart (no answer) keeps the key, so
 * the retry is the same checkout, with the total first shown, and is answered with the order
 * when its first call placed it. Screenshots in test-artifacts/storefront/checkout-key/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { AddAddressDocument, AddToCartDocument, OrderDetailsDocument, UpdateCartItemDocument } from '../../../clients/typescript/src/index.js';
import { openStorefront, signUpCustomer, stockedProduct, type Customer, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront checkout key browser test');

describe('the checkout page\'s idempotency key across refusals and lost answers', { skip }, () => {
  let supergraph: TestSupergraph;
  let buyer: Customer;
  let productId: string;
  let shop: StorefrontBrowser;

  before(async () => {
    supergraph = await startTestSupergraph();
    buyer = await signUpCustomer(supergraph, 'Two Tab Buyer');
    productId = await stockedProduct(supergraph, 'Two tab kettle', 20);
    await buyer.client.request(AddAddressDocument, { input: { recipientName: 'Two Tab Buyer', line1: '1 Main Street', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US', makeDefault: true } });
    await buyer.client.request(AddToCartDocument, { productId, quantity: 2 });
    shop = await openStorefront(supergraph, 'checkout-key', buyer.session);
  });
  after(async () => {
    await shop?.close();
    await buyer?.client.dispose();
    await supergraph?.close();
  });

  test('a CART_CHANGED refusal makes a new key for the next Place order, which orders the cart as shown; a lost answer keeps the key', async () => {
    const { page, origin, shot } = shop;
    const keys: string[] = [];
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string; variables?: { idempotencyKey?: string } } | null;
      if (body?.operationName !== 'Checkout') return route.fallback();
      keys.push(body.variables!.idempotencyKey!);
      if (keys.length === 1) {
        // Another tab raised the quantity while this order was being placed: the server took the
        // key's hold for the cart as it was and answers as it does for that race.
        await buyer.client.request(UpdateCartItemDocument, { productId, quantity: 3 });
        return route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            data: null,
            errors: [{ message: 'Your cart changed while checking out; nothing was charged: review the cart and check out again with a new idempotency key', extensions: { code: 'CART_CHANGED' } }],
          }),
        });
      }
      // The next try's first call gets no answer; the client sends it again by itself.
      if (keys.length === 2) return route.abort('connectionreset');
      return route.fallback();
    });

    await page.goto(`${origin}/shop#/checkout`);
    const placeOrder = page.getByRole('button', { name: 'Place order' });
    await page.locator('dd.total').waitFor();
    const shownFirst = await page.locator('dd.total').innerText();
    await placeOrder.click();
    await page.getByRole('alert').getByText('Your cart changed while the order was being placed').waitFor();
    // The totals are read again: the cart as the other tab left it.
    await page.waitForFunction((first) => document.querySelector('dd.total')?.textContent !== first, shownFirst);
    const shownThen = await page.locator('dd.total').innerText();
    await shot('cart-changed');
    await placeOrder.click();
    await page.locator('#order-title').waitFor();
    const orderId = decodeURIComponent(page.url().split('#/order/')[1] ?? '');

    assert.equal(keys.length, 3, `Checkout calls: ${keys.join(' ')}`);
    assert.notEqual(keys[1], keys[0], 'the try after CART_CHANGED sends a new key');
    assert.equal(keys[2], keys[1], 'the retry of a call with no answer keeps its key');
    const { order } = await buyer.client.request(OrderDetailsDocument, { id: orderId });
    assert.equal(order?.total.amount, Number(shownThen.replace(/\D/g, '')), `the order charges the total shown after the change (${shownThen})`);
    assert.deepEqual(order?.items.map((item) => item.quantity), [3]);
    assert.deepEqual(shop.pageErrors, []);
  });

  test('a Place order whose every answer was lost after its first call placed the order: the next click is answered with that order', async () => {
    const shopper = await signUpCustomer(supergraph, 'Lost Answer Buyer');
    await shopper.client.request(AddAddressDocument, { input: { recipientName: 'Lost Answer Buyer', line1: '1 Main Street', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US', makeDefault: true } });
    await shopper.client.request(AddToCartDocument, { productId, quantity: 2 });
    const tab = await openStorefront(supergraph, 'checkout-key-lost-answer', shopper.session);
    try {
      const { page, origin, shot } = tab;
      const sent: { idempotencyKey: string; expectedTotal: number }[] = [];
      let placedId: string | undefined;
      await page.route('**/graphql', async (route) => {
        const body = route.request().postDataJSON() as { operationName?: string; variables?: { idempotencyKey: string; expectedTotal: number } } | null;
        if (body?.operationName !== 'Checkout') return route.fallback();
        sent.push(body.variables!);
        // The first call reaches the store and places the order; its answer and those of the
        // client's own retries never come back.
        if (sent.length === 1) placedId = ((await (await route.fetch()).json()) as { data: { checkout: { id: string } } }).data.checkout.id;
        if (sent.length <= 3) return route.abort('connectionreset');
        return route.fallback();
      });
      await page.goto(`${origin}/shop#/checkout`);
      const placeOrder = page.getByRole('button', { name: 'Place order' });
      await page.locator('dd.total').waitFor();
      const shown = await page.locator('dd.total').innerText();
      await placeOrder.click();
      await page.getByRole('alert').getByText('We could not reach the store').waitFor();
      assert.equal(sent.length, 3, 'the client sent the call three times');
      assert.equal(await page.locator('dd.total').innerText(), shown, 'the total first shown stays');
      await shot('no-answer');
      await placeOrder.click();
      await page.locator('#order-title').waitFor();
      assert.equal(decodeURIComponent(page.url().split('#/order/')[1] ?? ''), placedId, 'the page shows the order the first call placed');
      assert.equal(new Set(sent.map((v) => v.idempotencyKey)).size, 1, 'every call under one key');
      assert.equal(new Set(sent.map((v) => v.expectedTotal)).size, 1, 'every call with the total first shown');
      assert.deepEqual(tab.pageErrors, []);
    } finally {
      await tab.close();
      await shopper.client.dispose();
    }
  });
});
