import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { PaymentEventTypes, StockReturnEventTypes, type EventBus, type SubscribeOptions } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { customer, dataOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const ORDER = `query($id: ID!) {
  order(id: $id) { id status statusReason statusHistory { from to } payment { status } refundedTotal { amount } refunds { amount { amount } status } }
}`;
const STOCK = `query($id: ID!) { product(id: $id) { stock } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;

/** Customers whose payment outcomes the orders consumer "loses": taken off the topic, never applied. */
const LOSING = "lost-outcome-";

/** Orders whose first RefundRequested the payments consumer takes off the topic without applying it. */
const refundRequestsToLose = new Set<string>();
/** Orders whose PaymentRefunded the orders consumer takes off the topic without applying it, every time. */
const refundOutcomesToLose = new Set<string>();
/** Orders whose first StockReturnRequested the inventory consumer takes off the topic without applying it. */
const stockReturnsToLose = new Set<string>();

/**
 * The orders consumer acknowledges these customers' payment outcomes without applying them:
 * what a database crash forgetting the order's commit, or an event gone to the dead-letter
 * topic, leaves behind (the payment settled, the order PENDING, nothing left to deliver).
 */
function losingOutcomes(bus: EventBus): EventBus {
  return {
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    close: () => bus.close(),
    subscribe(options: SubscribeOptions) {
      if (options.group === "inventory") {
        return bus.subscribe({
          ...options,
          handle: async (event) => {
            const orderId = (event.payload as { orderId?: string } | null)?.orderId ?? "";
            if (event.type === StockReturnEventTypes.requested && stockReturnsToLose.delete(orderId)) return;
            await options.handle(event);
          },
        });
      }
      if (options.group === "payments") {
        return bus.subscribe({
          ...options,
          handle: async (event) => {
            const orderId = (event.payload as { orderId?: string } | null)?.orderId ?? "";
            if (event.type === PaymentEventTypes.refundRequested && refundRequestsToLose.delete(orderId)) return;
            await options.handle(event);
          },
        });
      }
      if (options.group !== "orders") return bus.subscribe(options);
      return bus.subscribe({
        ...options,
        handle: async (event) => {
          const outcome = event.type === PaymentEventTypes.confirmed || event.type === PaymentEventTypes.failed;
          const { userId = "", orderId = "" } = (event.payload as { userId?: string; orderId?: string } | null) ?? {};
          if (outcome && userId.startsWith(LOSING)) return;
          if (event.type === PaymentEventTypes.refunded && refundOutcomesToLose.has(orderId)) return;
          await options.handle(event);
        },
      });
    },
  };
}

describeOnEngines("a payment outcome lost on its way to the order", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5, hangMs: 10_000 });
    sg = await startCheckoutSupergraph({
      engines,
      env: { PAYMENT_PROVIDER_URL: simulator.url, ORDER_RECONCILE_AFTER_MS: "1000", ORDER_RECONCILE_INTERVAL_MS: "200" },
      decorateBus: losingOutcomes,
    });
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
  });

  it("the reconciler makes the order PAID from its settled payment, once, and sells the held units", async () => {
    const c = await customer(sg, `${LOSING}paid`);
    const stockBefore = dataOf(await sg.query(STOCK, { id: "prod_0000011" })).product.stock;
    const order = await c.placeOrder({ prod_0000011: 2 });
    assert.equal(order.status, "PENDING");
    await waitFor("the payment is captured", async () => dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order.payment?.status === "SUCCEEDED", { timeoutMs: 15_000 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    const seen = dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order;
    assert.deepEqual(seen.statusHistory, [{ from: null, to: "PENDING" }, { from: "PENDING", to: "PAID" }]);
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 1, "charged once");
    // The hold became a sale: the units are gone from stock for good, not back after expiry.
    assert.equal(dataOf(await sg.query(STOCK, { id: "prod_0000011" })).product.stock, stockBefore - 2);
  });

  it("a declined payment whose outcome was lost: the order ends PAYMENT_FAILED with the reason and its units go back", async () => {
    const c = await customer(sg, `${LOSING}declined`);
    simulator.addRule({ match: { customer: c.userId }, action: "decline", declineCode: "card_declined" });
    const stockBefore = dataOf(await sg.query(STOCK, { id: "prod_0000012" })).product.stock;
    const order = await c.placeOrder({ prod_0000012: 3 });
    await waitForStatus(sg, c.token, order.id, "PAYMENT_FAILED");
    const seen = dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order;
    assert.equal(seen.payment.status, "FAILED");
    assert.match(seen.statusReason, /declined/);
    await waitFor("the held units are back", async () => dataOf(await sg.query(STOCK, { id: "prod_0000012" })).product.stock === stockBefore, { timeoutMs: 10_000 });
  });

  it("orders whose outcomes arrive are not touched by it", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ prod_0000013: 1 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    // Well past the reconciler's threshold and several of its passes: still one PAID.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const seen = dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order;
    assert.deepEqual(seen.statusHistory, [{ from: null, to: "PENDING" }, { from: "PENDING", to: "PAID" }]);
  });

  it("a customer's cancel while the order waited for its lost confirmation: the captured payment is refunded in full, once, and the units stay on sale", async () => {
    const c = await customer(sg, `${LOSING}cancelled`);
    const stockBefore = dataOf(await sg.query(STOCK, { id: "prod_0000014" })).product.stock;
    const order = await c.placeOrder({ prod_0000014: 2 });
    // The money is taken; its confirmation never reaches the order, which shows PENDING with its
    // payment SUCCEEDED ("confirming the order"), and the customer cancels it meanwhile.
    await waitFor("the payment is captured", async () => dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order.payment?.status === "SUCCEEDED", { timeoutMs: 15_000 });
    const cancelled = dataOf(await sg.query(CANCEL, { id: order.id }, c.token)).cancelOrder;
    assert.equal(cancelled.status, "CANCELLED");
    await waitFor(
      "the capture is refunded",
      async () => dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order.payment?.status === "REFUNDED",
      { timeoutMs: 15_000 },
    );
    const seen = dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order;
    assert.equal(seen.status, "CANCELLED");
    assert.equal(seen.refundedTotal.amount, order.total.amount);
    assert.deepEqual(seen.refunds.map((r: { amount: { amount: number } }) => r.amount.amount), [order.total.amount]);
    const ledger = simulator.ledger({ orderId: order.id });
    assert.equal(ledger.charges.length, 1, "charged once");
    assert.deepEqual(ledger.refunds.map((r) => r.amount), [order.total.amount], "refunded once, in full");
    // Further passes find the refund promised and ask for nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1);
    // The hold went back with the cancel; the units were never sold.
    await waitFor("the held units are back", async () => dataOf(await sg.query(STOCK, { id: "prod_0000014" })).product.stock === stockBefore, { timeoutMs: 10_000 });
  });

  it("a refund whose request never reached payments is asked for again and paid once; one paid whose outcome was lost is shown paid", async () => {
    const paidAndCancelled = async (name: string, losing: Set<string>) => {
      const c = await customer(sg, `refund-${name}`);
      const order = await c.placeOrder({ prod_0000015: 1 });
      await waitForStatus(sg, c.token, order.id, "PAID");
      losing.add(order.id);
      assert.equal(dataOf(await sg.query(CANCEL, { id: order.id }, c.token)).cancelOrder.status, "CANCELLED");
      return { c, order };
    };
    const requestLost = await paidAndCancelled("request-lost", refundRequestsToLose);
    const outcomeLost = await paidAndCancelled("outcome-lost", refundOutcomesToLose);
    for (const { c, order } of [requestLost, outcomeLost]) {
      await waitFor(
        `the refund of ${order.id} is paid and shown paid`,
        async () => dataOf(await sg.query(ORDER, { id: order.id }, c.token)).order.refunds.every((r: { status: string }) => r.status === "SUCCEEDED"),
        { timeoutMs: 15_000 },
      );
      assert.deepEqual(simulator.ledger({ orderId: order.id }).refunds.map((r) => r.amount), [order.total.amount], "refunded once, in full");
    }
    assert.equal(refundRequestsToLose.size, 0, "the first request was taken off the topic");
    // Further passes find nothing lost and ask for nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const { order } of [requestLost, outcomeLost]) assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1);
  });

  it("units a cancel of a paid order sent back, whose request never reached the inventory, come back on sale once", async () => {
    const c = await customer(sg, "stock-return-lost");
    const stockBefore = dataOf(await sg.query(STOCK, { id: "prod_0000016" })).product.stock;
    const order = await c.placeOrder({ prod_0000016: 2 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    assert.equal(dataOf(await sg.query(STOCK, { id: "prod_0000016" })).product.stock, stockBefore - 2, "sold");
    stockReturnsToLose.add(order.id);
    assert.equal(dataOf(await sg.query(CANCEL, { id: order.id }, c.token)).cancelOrder.status, "CANCELLED");
    await waitFor("the sold units are back on sale", async () => dataOf(await sg.query(STOCK, { id: "prod_0000016" })).product.stock === stockBefore, { timeoutMs: 15_000 });
    assert.equal(stockReturnsToLose.size, 0, "the first request was taken off the topic");
    // Further passes find the return recorded and ask for nothing more: back once, not twice.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(dataOf(await sg.query(STOCK, { id: "prod_0000016" })).product.stock, stockBefore);
  });
});
