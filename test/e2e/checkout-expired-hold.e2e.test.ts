import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { orderIdFor } from "../../subgraphs/orders/src/domain/checkout.service.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, customer, dataOf, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

// Issue #11, item 2: a checkout crashed after holding stock and before writing its order; the
// orphaned hold expired. A retry with the same key (same order id, same reservation id) must
// hold the stock again or be refused, never answer PENDING with nothing held.

describeOnEngines("a checkout retried after its orphaned hold expired", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 20 });
    // A quick sweeper, so an expired hold is swept as soon as the test makes it due.
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url, RESERVATION_SWEEP_INTERVAL_MS: "50" } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
    await simulator?.close();
  });

  /**
   * The crash: the hold a checkout with `key` takes, without its order; then its time runs
   * out and the sweeper gives the unit back.
   */
  async function orphanedHoldExpired(userId: string, key: string, productId: string): Promise<string> {
    const orderId = orderIdFor(userId, key);
    await sg.reservations.reserve(orderId, [{ variantId: productId, quantity: 1 }]);
    assert.equal(await stockOf(sg, productId), 0, "the orphaned hold took the unit");
    await db.reservation.update({ where: { id: orderId }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    await waitFor("the sweeper expires the orphaned hold", async () => (await db.reservation.findUnique({ where: { id: orderId } }))?.status === "EXPIRED");
    assert.equal(await stockOf(sg, productId), 1, "the sweeper gave the unit back");
    return orderId;
  }

  it("holds the stock again when it is still there, answers PENDING and sells it once", async () => {
    const productId = await createStockedProduct(sg, 1);
    const c = await customer(sg);
    await c.add(productId, 1);
    const key = randomUUID();
    const orderId = await orphanedHoldExpired(c.userId, key, productId);

    const order = dataOf(await c.checkout(key)).checkout;
    assert.deepEqual([order.id, order.status], [orderId, "PENDING"]);
    const hold = await db.reservation.findUniqueOrThrow({ where: { id: orderId } });
    assert.ok(hold.status === "HELD" || hold.status === "COMMITTED", `a live hold, not ${hold.status}`);
    if (hold.status === "HELD") assert.ok(hold.expiresAt.getTime() > Date.now(), "with a fresh expiry");
    assert.equal(await stockOf(sg, productId), 0, "the unit is held for this order");

    await waitForStatus(sg, c.token, orderId, "PAID");
    assert.equal((await db.reservation.findUniqueOrThrow({ where: { id: orderId } })).status, "COMMITTED");
    assert.equal(simulator.ledger({ customer: c.userId }).charges.length, 1);
    assert.equal(simulator.ledger({ customer: c.userId }).refunds.length, 0);
    assert.equal(await stockOf(sg, productId), 0);
  });

  it("refuses the retry with OUT_OF_STOCK when another customer took the unit meanwhile, charging nothing", async () => {
    const productId = await createStockedProduct(sg, 1);
    const first = await customer(sg);
    await first.add(productId, 1);
    const key = randomUUID();
    const orderId = await orphanedHoldExpired(first.userId, key, productId);

    const other = await customer(sg);
    const taken = await other.placeOrder({ [productId]: 1 });
    await waitForStatus(sg, other.token, taken.id, "PAID");

    const retry = await first.checkout(key);
    assert.equal(codeOf(retry), "OUT_OF_STOCK", JSON.stringify(retry.errors ?? retry.data));
    assert.equal(retry.errors?.[0]?.extensions?.productId, productId);
    assert.equal(await db.order.count({ where: { userId: first.userId } }), 0);
    assert.equal(await db.payment.count({ where: { userId: first.userId } }), 0);
    assert.equal((await db.reservation.findUniqueOrThrow({ where: { id: orderId } })).status, "EXPIRED", "nothing was held");
    assert.equal(simulator.ledger({ customer: first.userId }).charges.length, 0);
    assert.equal(simulator.ledger({ customer: other.userId }).charges.length, 1);
    assert.equal(await stockOf(sg, productId), 0);
    assert.equal((await db.cartItem.findMany({ where: { userId: first.userId } })).length, 1, "the cart is kept for later");
  });
});
