// An order's stock hold runs out while its payment is being captured: the provider has taken
// the money and its answer is on the way (held back by a pass-through, so the moment is one the
// test waits for by count, not by time) when the sweeper gives the units back. Whatever happens
// to those units meanwhile (still there, bought by another customer, the order cancelled by its
// customer), the money at the provider and the stock in the ledger and its mirror come out
// right: never money kept for an order that does not ship, never a unit sold twice. And a
// payment first driven only after its hold ran out (payments held up) takes no money at all.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { loadConfig } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { orderMoneyAtProvider } from "../support/order-money-at-provider.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createStockedProduct, customer, dataOf, Ops, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { OutageEventBus } from "../../subgraphs/orders/test/support/test-event-buses.js";
import { startHeldProviderCharges, type HeldProviderCharges } from "../support/held-provider-charges.js";

const Q = {
  order: `query($id: ID!) { order(id: $id) { id status statusReason total { amount } refundedTotal { amount } refunds { status amount { amount } } } }`,
};

describeOnEngines("a stock hold that expires while its payment is captured", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let provider: HeldProviderCharges;
  let db: PrismaClient;
  let admin: string;
  let bus: OutageEventBus | undefined;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    provider = await startHeldProviderCharges(simulator.url);
    sg = await startCheckoutSupergraph({
      engines,
      env: {
        PAYMENT_PROVIDER_URL: provider.url,
        // A held answer stays the one call in flight for as long as a test holds it (the most
        // the configuration's rule allows beside the other settings here).
        PAYMENT_PROVIDER_TIMEOUT_MS: "30000",
        // The sweeper expires a hold as soon as the test makes it due.
        RESERVATION_SWEEP_INTERVAL_MS: "50",
        // Payment requests reach payments by their events alone while a test holds them back.
        PAYMENT_RECOVERY_AFTER_MS: "120000",
      },
      decorateBus: (inner) => (bus = new OutageEventBus(inner)),
    });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    admin = await sg.token("admin-hold-expiry-capture", ["admin"]);
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
    await provider?.close();
    await simulator?.close();
  });

  const ledgerOf = (orderId: string) => orderMoneyAtProvider(simulator, orderId);
  const holdOf = async (orderId: string) => (await db.reservation.findUniqueOrThrow({ where: { id: orderId } })).status;
  const levelOf = (variantId: string) => db.stockLevel.findUniqueOrThrow({ where: { variantId } });

  /** Places an order of `quantity` units whose charge the provider has captured and whose answer is held. */
  async function orderWithCaptureOnItsWay(productId: string, quantity: number) {
    const c = await customer(sg);
    provider.hold("answers");
    const order = await c.placeOrder({ [productId]: quantity });
    await waitFor("the capture's answer held", () => provider.held() === 1, { timeoutMs: 15_000, intervalMs: 5 });
    assert.equal(ledgerOf(order.id).captures, 1, "the provider captured");
    return { c, order };
  }

  /** The hold runs out now: the sweeper gives its units back. */
  async function expire(orderId: string) {
    await db.reservation.update({ where: { id: orderId }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    await waitFor("the sweeper expires the hold", async () => (await holdOf(orderId)) === "EXPIRED", { timeoutMs: 15_000 });
  }

  /** The order once its money is settled: final, every refund paid, the provider keeping what it says. */
  async function settled(orderId: string) {
    let order: any;
    await waitFor(
      `order ${orderId} settled`,
      async () => {
        order = dataOf(await sg.query(Q.order, { id: orderId }, admin)).order;
        return order.status !== "PENDING" && order.refunds.every((r: { status: string }) => r.status === "SUCCEEDED");
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    return order;
  }

  it("units still on sale when the capture lands: the order is PAID, its units taken again and sold once, in the ledger and its mirror", async () => {
    const productId = await createStockedProduct(sg, 3, 900);
    const { order } = await orderWithCaptureOnItsWay(productId, 2);
    await expire(order.id);
    assert.equal(await stockOf(sg, productId), 3, "the expired hold's units are on sale");

    provider.release();
    const paid = await settled(order.id);
    assert.equal(paid.status, "PAID");
    assert.equal(await holdOf(order.id), "COMMITTED");
    assert.deepEqual(ledgerOf(order.id), { captures: 1, refunds: 0, net: 1800 });
    const level = await levelOf(productId);
    assert.deepEqual([level.available, level.reserved], [1, 0], "two units sold, one on sale, none held");
    await waitFor("the mirror counts the units taken again", async () => (await stockOf(sg, productId)) === 1, { timeoutMs: 15_000 });
  });

  it("another customer buys the expired hold's units before the capture lands: the first order is CANCELLED and refunded in full once, the units sold once, to the other", async () => {
    const productId = await createStockedProduct(sg, 2, 800);
    const { c, order } = await orderWithCaptureOnItsWay(productId, 2);
    await expire(order.id);

    const other = await customer(sg);
    const taken = await other.placeOrder({ [productId]: 2 });
    assert.equal(taken.status, "PENDING");
    await waitFor("the other capture's answer held too", () => provider.held() === 2, { timeoutMs: 15_000, intervalMs: 5 });

    provider.release();
    const first = await settled(order.id);
    await waitForStatus(sg, other.token, taken.id, "PAID");
    assert.equal(first.status, "CANCELLED", first.statusReason);
    assert.equal(first.refundedTotal.amount, first.total.amount, "refunded in full");
    assert.deepEqual(ledgerOf(order.id), { captures: 1, refunds: 1, net: 0 });
    assert.deepEqual(ledgerOf(taken.id), { captures: 1, refunds: 0, net: 1600 });
    assert.equal(await holdOf(order.id), "EXPIRED", "the first order never sold a unit");
    assert.equal(await holdOf(taken.id), "COMMITTED");
    const level = await levelOf(productId);
    assert.deepEqual([level.available, level.reserved], [0, 0], "both units sold once");
    assert.equal(await stockOf(sg, productId), 0);
    assert.equal((await c.order(order.id)).status, "CANCELLED", "the customer sees it cancelled");
  });

  it("the customer cancels the expired order before the capture lands: CANCELLED, the capture refunded once, the units on sale once", async () => {
    const productId = await createStockedProduct(sg, 2, 700);
    const { c, order } = await orderWithCaptureOnItsWay(productId, 1);
    await expire(order.id);
    const cancelled = await Promise.all([sg.query(Ops.cancelOrder, { id: order.id }, c.token), sg.query(Ops.cancelOrder, { id: order.id }, c.token)]);
    for (const answer of cancelled) assert.equal(dataOf(answer).cancelOrder.status, "CANCELLED");

    provider.release();
    await waitFor("the capture refunded", () => ledgerOf(order.id).net === 0, { timeoutMs: 30_000, intervalMs: 50 });
    const final = await settled(order.id);
    assert.equal(final.status, "CANCELLED");
    assert.deepEqual(ledgerOf(order.id), { captures: 1, refunds: 1, net: 0 });
    assert.equal(await holdOf(order.id), "EXPIRED");
    const level = await levelOf(productId);
    assert.deepEqual([level.available, level.reserved], [2, 0], "the unit is on sale once");
    assert.equal(await stockOf(sg, productId), 2);
  });

  it("a payment first driven after its order's hold ran out and its units went to another customer (payment requests held up): the order ends PAYMENT_FAILED and nothing is charged; the other customer's order is PAID", async () => {
    const productId = await createStockedProduct(sg, 1, 600);
    const { retryForMs } = loadConfig({ APP_ENV: "test" }).payments;
    bus!.stopBroker();
    const late = await customer(sg);
    const order = await late.placeOrder({ [productId]: 1 });
    // Checked out longer ago than payments start charging, its hold's time run out.
    await db.payment.updateMany({ where: { orderId: order.id }, data: { createdAt: new Date(Date.now() - retryForMs - 1_000) } });
    await expire(order.id);
    const other = await customer(sg);
    const taken = await other.placeOrder({ [productId]: 1 });
    bus!.startBroker();

    await waitForStatus(sg, other.token, taken.id, "PAID", 30_000);
    const final = await settled(order.id);
    assert.equal(final.status, "PAYMENT_FAILED", `${final.status}: ${final.statusReason}`);
    assert.deepEqual(ledgerOf(order.id), { captures: 0, refunds: 0, net: 0 }, "the late payment took no money");
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 0, "no charge was sent at all");
    assert.match((await late.order(order.id)).statusReason ?? "", /not sent to the payment provider/);
    assert.deepEqual(ledgerOf(taken.id), { captures: 1, refunds: 0, net: 600 });
    const level = await levelOf(productId);
    assert.deepEqual([level.available, level.reserved], [0, 0], "the unit sold once, to the other customer");
  });
});
