// A customer double-clicking Cancel and an admin double-clicking Refund on an order whose
// payment is being confirmed at that very moment (the PaymentConfirmed consumer setting PENDING
// to PAID), through the gateway: whichever comes first, the money at the provider and the stock
// come out right (no refund twice, none of an unpaid order, units back exactly once), and every
// losing click is told why by its extensions.code.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { orderMoneyAtProvider } from "../support/order-money-at-provider.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, customer, dataOf, Ops, stockOf } from "../../subgraphs/orders/test/support/storefront-operations.js";

const Q = {
  order: `query($id: ID!) { order(id: $id) { id status total { amount } refundedTotal { amount } refunds { status amount { amount } } } }`,
  refundOrder: `mutation($id: ID!, $amount: Int, $reason: String!, $key: String!) { refundOrder(id: $id, amount: $amount, reason: $reason, idempotencyKey: $key) { id amount { amount } } }`,
};
const ROUNDS = 4;
const STOCK = 10;

describeOnEngines("cancel and refund clicks racing the payment's confirmation", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;
  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url, RATE_LIMIT_COST_PER_MINUTE: "10000000", RATE_LIMIT_AUTH_PER_MINUTE: "100000" } });
    admin = await sg.token("admin-cancel-refund-clicks", ["admin"]);
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
  });

  const ledgerOf = (orderId: string) => orderMoneyAtProvider(simulator, orderId);
  /**
   * The order once its money is settled: not PENDING, every refund paid back, and the provider
   * keeping nothing (each test's order ends cancelled or refunded in full). A capture the cancel
   * came before is refunded when its confirmation arrives, later.
   */
  const settledOrder = async (orderId: string) => {
    let order: any;
    await waitFor(
      `order ${orderId} ended with its money back`,
      async () => {
        order = dataOf(await sg.query(Q.order, { id: orderId }, admin)).order;
        return order.status !== "PENDING" && order.refunds.every((r: { status: string }) => r.status === "SUCCEEDED") && ledgerOf(orderId).net === 0;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    return order;
  };
  /**
   * When the clicks go: at once (the charge not made yet), or once the provider captured the
   * money (its PaymentConfirmed on its way through the bus to the orders consumer).
   */
  const clickMoment = async (round: number, orderId: string) => {
    if (round % 2 === 1) await waitFor("the charge captured", () => ledgerOf(orderId).captures === 1, { timeoutMs: 15_000, intervalMs: 2 });
  };
  const errorsOf = (answers: { errors?: { extensions?: Record<string, any> }[] }[]) => answers.filter((a) => a.errors).map((a) => codeOf(a));

  it("five Cancel clicks at once as the payment is confirmed: CANCELLED, each click answered with it, the money back once and the units back once", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, STOCK, 1000);
      const c = await customer(sg);
      const order = await c.placeOrder({ [p]: 2 });
      await clickMoment(round, order.id);
      const answers = await Promise.all(Array.from({ length: 5 }, () => sg.query(Ops.cancelOrder, { id: order.id }, c.token)));
      assert.deepEqual(errorsOf(answers), [], JSON.stringify(answers.map((a) => a.errors)));
      assert.deepEqual(new Set(answers.map((a) => a.data?.cancelOrder?.status)), new Set(["CANCELLED"]));
      const settled = await settledOrder(order.id);
      const ledger = ledgerOf(order.id);
      assert.equal(settled.status, "CANCELLED");
      assert.ok(ledger.captures <= 1, "captured at most once");
      assert.ok(ledger.refunds <= ledger.captures, "no refund of money never taken, none twice");
      assert.equal(ledger.net, 0, "the provider keeps nothing");
      assert.equal(settled.refundedTotal.amount, ledger.captures === 0 ? 0 : settled.total.amount);
      await waitFor("the units back", async () => (await stockOf(sg, p)) === STOCK, { timeoutMs: 15_000 });
    }
  });

  it("Refund clicked twice under one key and once under another, with two Cancel clicks, as the payment is confirmed: one end, never a refund of unpaid money nor one past the capture, the units back once, each loser told why", async () => {
    const losing = new Set(["ILLEGAL_TRANSITION", "BAD_USER_INPUT"]);
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, STOCK, 1000);
      const c = await customer(sg);
      const order = await c.placeOrder({ [p]: 3 });
      await clickMoment(round, order.id);
      const key = randomUUID();
      const answers = await Promise.all([
        sg.query(Q.refundOrder, { id: order.id, amount: null, reason: "double click", key }, admin),
        sg.query(Ops.cancelOrder, { id: order.id }, c.token),
        sg.query(Q.refundOrder, { id: order.id, amount: null, reason: "double click", key }, admin),
        sg.query(Q.refundOrder, { id: order.id, amount: null, reason: "another tab", key: randomUUID() }, admin),
        sg.query(Ops.cancelOrder, { id: order.id }, c.token),
      ]);
      for (const code of errorsOf(answers)) assert.ok(losing.has(code), `a losing click is told why, not ${code}: ${JSON.stringify(answers.map((a) => a.errors))}`);
      const [sameKeyA, , sameKeyB] = answers;
      if (sameKeyA!.data?.refundOrder && sameKeyB!.data?.refundOrder) assert.equal(sameKeyA!.data.refundOrder.id, sameKeyB!.data.refundOrder.id, "one refund under one key");
      const settled = await settledOrder(order.id);
      const ledger = ledgerOf(order.id);
      assert.ok(["CANCELLED", "REFUNDED"].includes(settled.status), settled.status);
      assert.ok(ledger.captures <= 1);
      assert.ok(ledger.refunds <= 1, `one refund at most at the provider, not ${ledger.refunds}`);
      assert.equal(ledger.net, 0, `${settled.status}: the provider keeps nothing`);
      assert.ok(settled.refundedTotal.amount <= settled.total.amount);
      if (ledger.captures === 0) assert.equal(settled.refundedTotal.amount, 0, "no refund of an unpaid order");
      await waitFor(`the units back once (${settled.status})`, async () => (await stockOf(sg, p)) === STOCK, { timeoutMs: 15_000 });
    }
  });
});
