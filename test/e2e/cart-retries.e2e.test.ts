// Cart changes a flaky phone network sends again, through the gateway: a lost answer's add
// retried under its idempotency key, the same add double clicked in two tabs, and the retry of
// an add whose answer was lost to a restart of the whole platform. Each change is made once,
// and the order that follows charges and sells exactly the units asked for.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, dataOf, stockOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const Q = {
  add: `mutation($productId: ID!, $quantity: Int!, $key: String) { addToCart(productId: $productId, quantity: $quantity, idempotencyKey: $key) { totalQuantity } }`,
  remove: `mutation($productId: ID!, $key: String) { removeFromCart(productId: $productId, idempotencyKey: $key) { totalQuantity } }`,
  cart: `{ cart { totalQuantity items { quantity product { id } } } }`,
  checkout: `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") { id total { amount } items { quantity product { id } } } }`,
};

describeOnEngines("cart changes sent again through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  // The first start's database outlives a restart of the processes on it; it is dropped last.
  const restarted: CheckoutSupergraph[] = [];
  // The catalog is journaled to a directory of its own, so it is there again after a restart.
  const dataDir = mkdtempSync(join(tmpdir(), "cart-retries-"));
  const env = () => ({ PAYMENT_PROVIDER_URL: simulator.url, EMBEDDED_DATA_DIR: dataDir });
  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    sg = await startCheckoutSupergraph({ engines, env: env() });
  });
  after(async () => {
    await sg?.close();
    for (const first of restarted) await first.close();
    await simulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cartOf = async (token: string) => new Map<string, number>(dataOf(await sg.query(Q.cart, {}, token)).cart.items.map((item: any) => [item.product.id, item.quantity]));

  it("an add double clicked in two tabs and sent again after a lost answer puts its units in once; the order charges and sells them once", async () => {
    const product = await createStockedProduct(sg, 10, 1200);
    const token = await sg.token(`retry-${randomUUID().slice(0, 8)}`);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 6 }, () => sg.query(Q.add, { productId: product, quantity: 2, key }, token)));
    for (const answer of answers) assert.equal(dataOf(answer).addToCart.totalQuantity, 2);
    // The answer was lost; the phone sends it again a moment later.
    assert.equal(dataOf(await sg.query(Q.add, { productId: product, quantity: 2, key }, token)).addToCart.totalQuantity, 2);
    // The same key asking for something else is refused and adds nothing.
    assert.equal(codeOf(await sg.query(Q.add, { productId: product, quantity: 3, key }, token)), "IDEMPOTENCY_CONFLICT");
    assert.deepEqual([...(await cartOf(token))], [[product, 2]]);

    const order = dataOf(await sg.query(Q.checkout, { key: randomUUID() }, token)).checkout;
    assert.deepEqual(order.items.map((item: any) => [item.product.id, item.quantity]), [[product, 2]]);
    await waitForStatus(sg, token, order.id, "PAID");
    const { charges } = simulator.ledger({ orderId: order.id });
    assert.deepEqual(charges.map((charge) => charge.amount), [order.total.amount], "one capture, of the order's total");
    assert.equal(await stockOf(sg, product), 8);
  });

  it("a removal sent again after another tab put the line back leaves that line", async () => {
    const product = await createStockedProduct(sg, 10, 900);
    const token = await sg.token(`remove-${randomUUID().slice(0, 8)}`);
    dataOf(await sg.query(Q.add, { productId: product, quantity: 1, key: randomUUID() }, token));
    const removal = randomUUID();
    assert.equal(dataOf(await sg.query(Q.remove, { productId: product, key: removal }, token)).removeFromCart.totalQuantity, 0);
    dataOf(await sg.query(Q.add, { productId: product, quantity: 4, key: randomUUID() }, token));
    assert.equal(dataOf(await sg.query(Q.remove, { productId: product, key: removal }, token)).removeFromCart.totalQuantity, 4);
    assert.deepEqual([...(await cartOf(token))], [[product, 4]]);
  });

  it("an add whose answer was lost to a restart of the platform, sent again after it, is made once", async () => {
    const product = await createStockedProduct(sg, 10, 800);
    const userId = `restart-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    dataOf(await sg.query(Q.add, { productId: product, quantity: 3, key }, await sg.token(userId)));
    await sg.stop();
    restarted.push(sg);
    sg = await startCheckoutSupergraph({ engines, databaseUrl: sg.databaseUrl, env: env() });
    const token = await sg.token(userId);
    assert.equal(dataOf(await sg.query(Q.add, { productId: product, quantity: 3, key }, token)).addToCart.totalQuantity, 3);
    assert.deepEqual([...(await cartOf(token))], [[product, 3]]);
  });
});
