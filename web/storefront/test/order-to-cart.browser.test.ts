/**
 * Putting an order's items back in the cart from its page, in headless Chromium against the
 * real gateway: a declined payment's order offers "Put these items back in my cart" (a double
 * click sends one call, and the cart holds the order's units once), a paid one "Buy again",
 * and a product gone since is named. Screenshots in test-artifacts/storefront/order-to-cart/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AddToCartDocument, CartDocument } from '../../../clients/typescript/src/index.js';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { openStorefront, orderStatusShown, placeOrder, signUpCustomer, stockedProduct, unnamedControls, type Customer, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront order-to-cart browser test');

describe('the order page: its items back in the cart', { skip }, () => {
  let supergraph: TestSupergraph;
  let customer: Customer;
  let shop: StorefrontBrowser;

  before(async () => {
    supergraph = await startTestSupergraph();
    customer = await signUpCustomer(supergraph, 'Buy Again Customer');
    shop = await openStorefront(supergraph, 'order-to-cart', customer.session);
  });
  after(async () => {
    await shop?.close();
    await customer?.client.dispose();
    await supergraph?.close();
  });

  const cartLines = async () => (await customer.client.request(CartDocument, {})).cart.items.map((item) => [item.product.name, item.quantity]);

  test('a declined order: a double click puts its items back once, and the cart page shows them', async () => {
    const { page } = shop;
    const productId = await stockedProduct(supergraph, 'Declined kettle', 20);
    const orderId = await placeOrder(customer, productId, 2, 'PAYMENT_FAILED', 'pm_card_declined');
    assert.deepEqual(await cartLines(), [], 'checkout emptied the cart');
    await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(page, 'Payment failed');
    assert.equal(await page.getByRole('button', { name: 'Buy again' }).count(), 0);
    assert.deepEqual(await unnamedControls(page), []);
    const before = shop.operationsSent.length;
    await page.getByRole('button', { name: 'Put these items back in my cart' }).dblclick();
    await page.getByTestId('order-to-cart-result').filter({ hasText: "The order's items are in your cart." }).waitFor();
    await shop.shot('declined-put-back');
    assert.deepEqual(shop.operationsSent.slice(before).filter((name) => name === 'AddOrderToCart'), ['AddOrderToCart'], 'a double click sends one call');
    // Clicked again later: nothing more goes in.
    await page.getByRole('button', { name: 'Put these items back in my cart' }).click();
    await page.getByTestId('order-to-cart-result').waitFor();
    assert.deepEqual(await cartLines(), [['Declined kettle', 2]]);

    await page.getByRole('link', { name: 'Go to your cart' }).click();
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    await page.getByRole('link', { name: 'Declined kettle' }).waitFor();
    await shop.shot('cart');
    assert.deepEqual(shop.pageErrors, []);
  });

  test('a paid order offers "Buy again", and a product gone since is named', async () => {
    const { page } = shop;
    const kept = await stockedProduct(supergraph, 'Kept teapot', 20);
    const leaving = await stockedProduct(supergraph, 'Leaving mug', 20);
    await customer.client.request(AddToCartDocument, { productId: leaving, quantity: 1 });
    const orderId = await placeOrder(customer, kept, 1);
    const admin = await supergraph.token('buy-again-admin', ['customer', 'admin']);
    const deleted = await supergraph.query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: leaving }, admin);
    assert.equal(deleted.errors, undefined, JSON.stringify(deleted.errors));
    await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(page, 'Paid');
    await page.getByRole('button', { name: 'Buy again' }).click();
    const result = page.getByTestId('order-to-cart-result');
    await result.filter({ hasText: 'Leaving mug is no longer sold.' }).waitFor();
    await shop.shot('buy-again');
    // The order also took the kettle the first test put back.
    assert.deepEqual((await cartLines()).sort(), [['Declined kettle', 2], ['Kept teapot', 1]]);
    assert.deepEqual(shop.pageErrors, []);
  });
});
