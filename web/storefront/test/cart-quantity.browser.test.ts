/**
 * Quantities typed by hand, in headless Chromium against the real gateway. The cart's quantity
 * box sent whatever number was typed and ignored the rest: 0 (which the store reads as a
 * removal) changed nothing while the box said 0, 2.5 showed the shopper graphql-js's words
 * ('Variable "$quantity" got invalid value 2.5; Int cannot represent non-integer value'), and
 * -1 or an emptied box stayed in the box beside a subtotal that did not follow. (The product
 * page's box is in a form, whose own validation keeps a fraction from being sent.)
 * Screenshots in test-artifacts/storefront/cart-quantity/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { AddToCartDocument, CartDocument } from '../../../clients/typescript/src/index.js';
import { openShopWithProduct, type Customer, type ShopWithProduct, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront cart quantity browser test');

describe('quantities typed in the cart', { skip }, () => {
  let supergraph: TestSupergraph;
  let shopper: Customer;
  let productId: string;
  let shop: StorefrontBrowser;

  let world: ShopWithProduct | undefined;

  before(async () => {
    world = await openShopWithProduct({ suite: 'cart-quantity', shopperName: 'Typing Shopper', productName: 'Hand-typed teapot', units: 20 });
    ({ supergraph, shopper, productId, shop } = world);
  });
  after(() => world?.close());

  const cartQuantity = async () => (await shopper.client.request(CartDocument)).cart.totalQuantity;

  test('a quantity that is no whole number is refused in the shopper\'s words and the box shows the cart again; 0 removes the line', async () => {
    const { page, origin, shot } = shop;
    await shopper.client.request(AddToCartDocument, { productId, quantity: 3 });
    await page.goto(`${origin}/shop#/cart`);
    const box = page.getByLabel('Quantity of Hand-typed teapot');
    await box.waitFor();
    for (const typed of ['2.5', '-1', '']) {
      await box.fill(typed);
      await box.press('Tab');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /whole number/, `"${typed}" is told what the box takes`);
      assert.doesNotMatch(await alert.innerText(), /Variable|Int cannot/, 'no words of graphql-js');
      assert.equal(await box.inputValue(), '3', `after "${typed}" the box shows the quantity the cart holds`);
    }
    await shot('refused');
    assert.equal(shop.operationsSent.filter((name) => name === 'UpdateCartItem').length, 0, 'nothing the store would refuse was sent');
    assert.equal(await cartQuantity(), 3);

    await box.fill('0');
    await box.press('Tab');
    await page.getByText('Your cart is empty.').waitFor();
    assert.equal(await cartQuantity(), 0);
    await shot('removed');
    assert.deepEqual(shop.pageErrors, []);
  });
});
