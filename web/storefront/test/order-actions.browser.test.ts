/**
 * A customer's order page after the purchase, in headless Chromium against the real gateway:
 * cancelling a paid order (one tap asks first; CANCELLED and its full refund appear without a reload; a double
 * click sends one cancel; a second tab on the same order follows along), and asking for a
 * return of a delivered order, then seeing the admin's approval arrive live. Screenshots in
 * test-artifacts/storefront/order-actions/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#kernel/testing';
import { formatMoney, OrderAfterSaleDocument, OrderDetailsDocument } from '../../../clients/typescript/src/index.js';
import { startTestSupergraph, type TestSupergraph } from '../../../test/support/start-test-supergraph.js';
import { browserSkipReason } from '../../../test/support/headless-chromium.js';
import { openStorefront, orderStatusShown, placeOrder, signUpCustomer, stockedProduct, unnamedControls, WAIT_MS, type Customer, type StorefrontBrowser } from './support/storefront-browser.js';

const skip = browserSkipReason('storefront order actions browser test');

describe('the order page: cancel and return', { skip }, () => {
  let supergraph: TestSupergraph;
  let customer: Customer;
  let productId: string;
  let shop: StorefrontBrowser;

  before(async () => {
    supergraph = await startTestSupergraph();
    customer = await signUpCustomer(supergraph, 'Order Page Customer');
    productId = await stockedProduct(supergraph, 'Order page lamp', 20);
    shop = await openStorefront(supergraph, 'order-actions', customer.session);
  });
  after(async () => {
    await shop?.close();
    await customer?.client.dispose();
    await supergraph?.close();
  });

  test('a paid order is cancelled with a double click: one cancel is sent, CANCELLED and the full refund show without a reload, and a second tab follows', async () => {
    const { page } = shop;
    const orderId = await placeOrder(customer, productId, 1);
    const { order } = await customer.client.request(OrderDetailsDocument, { id: orderId });
    await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(page, 'Paid');
    const otherTab = await shop.context.newPage();
    await otherTab.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(otherTab, 'Paid');
    await shop.shot('paid');

    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const before = shop.operationsSent.length;
    // One tap only asks: a cancel cannot be undone.
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('button', { name: 'Keep the order' }).click();
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await shop.shot('cancel-asked');
    assert.deepEqual(shop.operationsSent.slice(before).filter((name) => name === 'CancelOrder'), [], 'asking to cancel sends nothing');
    await page.getByRole('button', { name: 'Yes, cancel the order' }).dblclick();
    await orderStatusShown(page, 'Cancelled');
    await page.getByTestId('refunded-total').filter({ hasText: `Refunded ${formatMoney(order!.total)} of ${formatMoney(order!.total)}` }).waitFor();
    await shop.shot('cancelled');
    assert.deepEqual(shop.operationsSent.slice(before).filter((name) => name === 'CancelOrder'), ['CancelOrder'], 'a double click sends one cancel');
    assert.equal(await page.getByRole('button', { name: 'Cancel order' }).count(), 0, 'a cancelled order offers no cancel');
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'no reload happened');

    // The other tab learns it from the live status, and offers no cancel either.
    await orderStatusShown(otherTab, 'Cancelled');
    await otherTab.getByTestId('refunded-total').waitFor();
    assert.equal(await otherTab.getByRole('button', { name: 'Cancel order' }).count(), 0);
    await otherTab.close();

    const { order: refunded } = await customer.client.request(OrderAfterSaleDocument, { id: orderId });
    assert.equal(refunded?.status, 'CANCELLED');
    assert.equal(refunded?.refunds.length, 1, 'one refund');
    assert.equal(refunded?.refundedTotal.amount, order!.total.amount, 'refunded in full');
    // The stream ended at CANCELLED; the page looks again until the provider has paid it back.
    await page.getByTestId('refund-status').filter({ hasText: 'paid back' }).waitFor({ timeout: WAIT_MS });
    await shop.shot('refund-paid-back');
  });

  test('two clicks within one frame, before the button can be disabled, still send one cancel', async () => {
    const { page } = shop;
    const orderId = await placeOrder(customer, productId, 1);
    await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(page, 'Paid');
    const before = shop.operationsSent.length;
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the order' }).evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
    });
    await orderStatusShown(page, 'Cancelled');
    assert.deepEqual(shop.operationsSent.slice(before).filter((name) => name === 'CancelOrder'), ['CancelOrder']);
    assert.equal(await page.getByRole('alert').count(), 0, 'no error is shown: the second click got the first answer');
  });

  test('a delivered order: the return form appears live, a return of one unit is requested from the page, and its approval arrives live', async () => {
    const { page } = shop;
    const orderId = await placeOrder(customer, productId, 2);
    await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
    await orderStatusShown(page, 'Paid');
    assert.equal(await page.getByRole('heading', { name: 'Return items' }).count(), 0, 'nothing to return before delivery');

    const admin = await supergraph.token('order-page-admin', ['customer', 'admin']);
    for (const step of ['shipOrder', 'deliverOrder']) {
      const moved = await supergraph.query(`mutation($id: ID!) { ${step}(id: $id) { status } }`, { id: orderId }, admin);
      assert.equal(moved.errors, undefined, JSON.stringify(moved.errors));
    }
    await orderStatusShown(page, 'Delivered');
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const units = page.getByLabel(/Units of Order page lamp to return, up to 2/);
    await units.fill('1');
    await page.getByLabel('Why are you sending them back?').fill('Too bright for the bedroom');
    assert.deepEqual(await unnamedControls(page), [], 'every control of the return form has a name');
    await shop.shot('return-form');
    await page.getByRole('button', { name: 'Request return' }).click();
    await orderStatusShown(page, 'Return requested');
    await page.getByTestId('return-status').filter({ hasText: 'waiting for a decision' }).waitFor();
    // One unit stays returnable.
    await page.getByLabel(/Units of Order page lamp to return, up to 1/).waitFor();
    await shop.shot('return-requested');

    const { order } = await customer.client.request(OrderAfterSaleDocument, { id: orderId });
    assert.deepEqual(order?.returns.map((r) => ({ status: r.status, units: r.items.map((i) => i.quantity), reason: r.reason })), [{ status: 'REQUESTED', units: [1], reason: 'Too bright for the bedroom' }]);
    const approved = await supergraph.query(`mutation($id: ID!) { approveReturn(id: $id) { status } }`, { id: order!.returns[0]!.id }, admin);
    assert.equal(approved.errors, undefined, JSON.stringify(approved.errors));
    await orderStatusShown(page, 'Partially refunded');
    await page.getByTestId('return-status').filter({ hasText: 'approved' }).waitFor();
    await page.getByTestId('refunded-total').waitFor();
    await shop.shot('return-approved');
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'no reload happened');
    await waitFor('the refund of the returned unit is recorded', async () => ((await customer.client.request(OrderAfterSaleDocument, { id: orderId })).order?.refunds.length ?? 0) === 1, { timeoutMs: WAIT_MS });

    assert.deepEqual(shop.pageErrors, []);
    assert.deepEqual(shop.foreignRequests, [], 'every request stays on the gateway origin');
  });

  test('a return whose answers were all lost, edited and sent again: the return its first send made is shown, the form emptied, and no second one is made', async () => {
    const { page } = shop;
    const orderId = await placeOrder(customer, productId, 2);
    const admin = await supergraph.token('order-page-admin', ['customer', 'admin']);
    for (const step of ['shipOrder', 'deliverOrder']) {
      const moved = await supergraph.query(`mutation($id: ID!) { ${step}(id: $id) { status } }`, { id: orderId }, admin);
      assert.equal(moved.errors, undefined, JSON.stringify(moved.errors));
    }
    const keys: string[] = [];
    const handler = async (route: import('playwright-core').Route) => {
      const body = route.request().postDataJSON() as { operationName?: string; variables?: { idempotencyKey: string } } | null;
      if (body?.operationName !== 'RequestReturn') return route.fallback();
      keys.push(body.variables!.idempotencyKey);
      // The first send reaches the store and makes the return; its answer and the client's own
      // retries never come back.
      if (keys.length === 1) await route.fetch();
      if (keys.length <= 3) return route.abort('connectionreset');
      return route.fallback();
    };
    await page.route('**/graphql', handler);
    try {
      await page.goto(`${shop.origin}/shop#/order/${encodeURIComponent(orderId)}`);
      await orderStatusShown(page, 'Delivered');
      await page.getByLabel(/Units of Order page lamp to return, up to 2/).fill('1');
      const reason = page.getByLabel('Why are you sending them back?');
      await reason.fill('Scratched on arrival');
      await page.getByRole('button', { name: 'Request return' }).click();
      await page.getByRole('alert').getByText('We could not reach the store').waitFor();
      // The shopper rewords it and sends again, under the key of the send that made the return.
      await reason.fill('Scratched on arrival, and the wrong colour');
      await page.getByRole('button', { name: 'Request return' }).click();
      await page.getByTestId('return-status').filter({ hasText: 'waiting for a decision' }).waitFor();
      await page.getByLabel(/Units of Order page lamp to return, up to 1/).waitFor();
      await waitFor('the form is emptied', async () => (await reason.inputValue()) === '', { timeoutMs: WAIT_MS });
      assert.equal(await page.getByRole('alert').count(), 0, 'no refusal is shown for the return that was made');
      await shop.shot('return-made-answer-lost');
      assert.equal(keys.length, 4);
      assert.equal(new Set(keys).size, 1, 'the edited send went under the same key, as a retry of a lost answer must');
      const { order } = await customer.client.request(OrderAfterSaleDocument, { id: orderId });
      assert.deepEqual(order?.returns.map((r) => ({ units: r.items.map((i) => i.quantity), reason: r.reason })), [{ units: [1], reason: 'Scratched on arrival' }], 'one return, the one the first send made');
    } finally {
      await page.unroute('**/graphql', handler);
    }
  });
});
