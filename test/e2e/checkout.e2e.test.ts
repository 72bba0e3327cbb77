import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, Ops, restock, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000004";
const P2 = "prod_0000005";

describeOnEngines("checkout end to end through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;
  let admin: string;

  before(async () => {
    // Each charge takes a moment, so a subscriber sees PENDING before PAID, as in production.
    simulator = await startPaymentSimulator({ latencyMs: 300 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    admin = await sg.token("admin-e2e", ["admin"]);
    await restock(sg, [P1, P2]);
  });
  after(async () => {
    await db.$disconnect();
    await sg.close();
    await simulator.close();
  });

  type Pushed = { at: number; status: string };
  function follow(token: string, orderId: string, until: (statuses: string[]) => boolean) {
    const client = wsClient(sg.gatewayUrl, token);
    const pushed: Pushed[] = [];
    const done = collectSubscription(client, Ops.orderStatusChanged, { orderId }, (results) => {
      const last = results.at(-1)!;
      pushed.push({ at: Date.now(), status: last.data?.orderStatusChanged?.status ?? JSON.stringify(last.errors) });
      return until(pushed.map((p) => p.status));
    }, 15_000).finally(() => client.dispose());
    return { pushed, done };
  }
  const changedAt = async (orderId: string, to: string) =>
    (await db.orderStatusChange.findFirstOrThrow({ where: { orderId, to: to as never } })).at.getTime();

  it("paid path: PENDING at once, then PAID pushed to the subscriber within a second; stock sold, one charge", async () => {
    const c = await customer(sg);
    const stockBefore = await stockOf(sg, P1);
    await c.add(P1, 2);
    const order = dataOf(await c.checkout()).checkout;
    assert.equal(order.status, "PENDING", "answered at once, before the charge");

    const live = follow(c.token, order.id, (s) => s.includes("PAID"));
    await live.done;
    assert.deepEqual(live.pushed.map((p) => p.status), ["PENDING", "PAID"]);
    const paidPushedAfter = live.pushed[1]!.at - (await changedAt(order.id, "PAID"));
    assert.ok(paidPushedAfter < 1_000, `PAID reached the subscriber ${paidPushedAfter} ms after it happened`);

    assert.equal(await stockOf(sg, P1), stockBefore - 2);
    const payment = dataOf(await sg.query(`query($id: ID!) { order(id: $id) { payment { status amount { amount } } } }`, { id: order.id }, c.token)).order.payment;
    assert.deepEqual(payment, { status: "SUCCEEDED", amount: { amount: order.total.amount } });
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 1);
  });

  it("a late subscriber gets the current status first, then every later transition until a final one (a delivered order is still followed)", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ [P1]: 1 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    const live = follow(c.token, order.id, () => false);
    await waitFor("the current status arrives", () => live.pushed.length === 1);
    assert.equal(live.pushed[0]!.status, "PAID");
    dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
    await waitFor("SHIPPED is pushed", () => live.pushed.length === 2, { timeoutMs: 1_000 });
    dataOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin));
    await waitFor("DELIVERED is pushed", () => live.pushed.length === 3, { timeoutMs: 1_000 });
    dataOf(await sg.query(`mutation($id: ID!) { refundOrder(id: $id, reason: "Lost in transit", idempotencyKey: "late-subscriber") { id } }`, { id: order.id }, admin));
    await live.done; // completes after the final status
    assert.deepEqual(live.pushed.map((p) => p.status), ["PAID", "SHIPPED", "DELIVERED", "REFUNDED"]);
  });

  it("decline: the order ends PAYMENT_FAILED with the reason and its stock returns", async () => {
    const c = await customer(sg);
    simulator.addRule({ match: { customer: c.userId }, action: "decline", declineCode: "insufficient_funds" });
    const stockBefore = await stockOf(sg, P2);
    await c.add(P2, 3);
    const order = dataOf(await c.checkout()).checkout;
    assert.equal(order.status, "PENDING");
    assert.equal(await stockOf(sg, P2), stockBefore - 3, "held while the payment runs");
    const live = follow(c.token, order.id, () => false);
    await live.done;
    assert.deepEqual(live.pushed.map((p) => p.status), ["PENDING", "PAYMENT_FAILED"]);
    const failed = await c.order(order.id);
    assert.match(failed.statusReason, /declined/);
    assert.equal(await stockOf(sg, P2), stockBefore);
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 0);
  });

  it("100 concurrent identical checkout calls with one idempotency key: one order, one charge", async () => {
    const c = await customer(sg);
    await c.add(P1, 1);
    await c.add(P2, 1);
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 100 }, () => c.checkout(key)));
    const ids = new Set(responses.map((r) => dataOf(r).checkout.id));
    assert.equal(ids.size, 1, "every call answers with the same order");
    const [orderId] = ids as Set<string>;
    await waitForStatus(sg, c.token, orderId!, "PAID");
    assert.equal(await db.order.count({ where: { userId: c.userId } }), 1);
    assert.equal(await db.payment.count({ where: { userId: c.userId } }), 1);
    assert.equal(simulator.ledger({ customer: c.userId }).charges.length, 1);
    const again = await c.checkout(key);
    assert.equal(dataOf(again).checkout.id, orderId, "a retry after the fact still answers with it");
    await c.add(P1, 1);
    assert.equal(codeOf(await c.checkout(key)), "IDEMPOTENCY_CONFLICT", "a different cart under the same key is refused");
  });

  it("a customer cancel while PENDING releases the stock; the payment that lands afterwards is refunded", async () => {
    const c = await customer(sg);
    const stockBefore = await stockOf(sg, P2);
    const order = await c.placeOrder({ [P2]: 2 });
    const cancelled = dataOf(await sg.query(Ops.cancelOrder, { id: order.id }, c.token)).cancelOrder;
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal(await stockOf(sg, P2), stockBefore);
    // The charge was already on its way: it is captured, then refunded.
    await waitFor("the captured charge is refunded", () => simulator.ledger({ orderId: order.id }).refunds.length === 1, { timeoutMs: 15_000 });
    assert.equal((await c.order(order.id)).status, "CANCELLED");
    // Cancelled again (a double click): answered as it is, with no second refund.
    assert.equal(dataOf(await sg.query(Ops.cancelOrder, { id: order.id }, c.token)).cancelOrder.status, "CANCELLED");
    assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1);
  });

  it("refuses illegal transitions and non-admin shipping; shows an order only to its owner and admins", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ [P1]: 1 });
    assert.equal(codeOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin)), "ILLEGAL_TRANSITION");
    assert.equal(codeOf(await sg.query(Ops.shipOrder, { id: order.id }, c.token)), "FORBIDDEN");
    const stranger = await customer(sg);
    assert.equal(dataOf(await sg.query(Ops.order, { id: order.id }, stranger.token)).order, null);
    assert.equal(codeOf(await sg.query(Ops.order, { id: order.id })), "UNAUTHENTICATED", "anonymous: told to sign in, not shown a missing order");
    assert.equal(dataOf(await sg.query(Ops.order, { id: order.id }, admin)).order.id, order.id);
    const strangerLive = follow(stranger.token, order.id, () => true);
    await strangerLive.done;
    assert.match(strangerLive.pushed[0]!.status, /NOT_FOUND/, "a stranger cannot follow someone else's order");
    await waitForStatus(sg, c.token, order.id, "PAID");
    dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
    assert.equal(codeOf(await sg.query(Ops.cancelOrder, { id: order.id }, c.token)), "ILLEGAL_TRANSITION", "shipped: too late to cancel");
    const listed = dataOf(await sg.query(`{ orders(first: 5) { totalCount edges { node { id status } } } }`, {}, c.token)).orders;
    assert.deepEqual(listed, { totalCount: 1, edges: [{ node: { id: order.id, status: "SHIPPED" } }] });
  });
});
