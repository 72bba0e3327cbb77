import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, Ops, restock, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000006";
const P2 = "prod_0000007";

const AfterSale = {
  orderAfterSale: `query($id: ID!) { order(id: $id) { id status total { amount } refundedTotal { amount currency }
    refunds { id amount { amount } status reason } returns { id status items { variantId quantity } refund { id status } } } }`,
  cancelOrder: `mutation($id: ID!) { cancelOrder(id: $id) { id status refundedTotal { amount } refunds { amount { amount } status } } }`,
  refundOrder: `mutation($id: ID!, $amount: Int, $reason: String!, $key: String!) {
    refundOrder(id: $id, amount: $amount, reason: $reason, idempotencyKey: $key) { id amount { amount } status order { id status } } }`,
  requestReturn: `mutation($orderId: ID!, $items: [ReturnItemInput!]!, $reason: String!) {
    requestReturn(orderId: $orderId, items: $items, reason: $reason) { id status items { variantId quantity unitPrice { amount } } order { status } } }`,
  approveReturn: `mutation($id: ID!) { approveReturn(id: $id) { id status refund { id amount { amount } } order { status refundedTotal { amount } } } }`,
};

describeOnEngines("after-sale end to end through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 30 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
    admin = await sg.token("admin-after-sale", ["admin"]);
    await restock(sg, [P1, P2]);
  });
  after(async () => {
    await sg.close();
    await simulator.close();
  });

  const afterSale = async (token: string, id: string) => dataOf(await sg.query(AfterSale.orderAfterSale, { id }, token)).order;
  /** Money the provider holds for an order: captured minus refunded. */
  const netCharged = (orderId: string) => {
    const { charges, refunds } = simulator.ledger({ orderId });
    return charges.reduce((sum, c) => sum + c.amount, 0) - refunds.reduce((sum, r) => sum + r.amount, 0);
  };

  it("purchase, deliver, return, approve, refund: the live subscription sees every status and the provider pays the refunds", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ [P1]: 2 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    const client = wsClient(sg.gatewayUrl, c.token);
    const pushed: string[] = [];
    const done = collectSubscription(client, Ops.orderStatusChanged, { orderId: order.id }, (results) => {
      pushed.push(results.at(-1)!.data?.orderStatusChanged?.status ?? JSON.stringify(results.at(-1)!.errors));
      return false;
    }, 30_000).finally(() => client.dispose());
    const seen = (count: number) => waitFor(`${count} statuses pushed`, () => pushed.length >= count, { timeoutMs: 10_000 });
    await seen(1);
    dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
    await seen(2);
    dataOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin));
    await seen(3);

    const stockBefore = await stockOf(sg, P1);
    const requested = dataOf(await sg.query(AfterSale.requestReturn, { orderId: order.id, items: [{ variantId: P1, quantity: 1 }], reason: "Too big" }, c.token)).requestReturn;
    assert.equal(requested.status, "REQUESTED");
    assert.equal(requested.items[0].unitPrice.amount * 2, order.total.amount);
    await seen(4);
    // Another customer cannot approve, and cannot see the order at all.
    const stranger = await customer(sg);
    assert.equal(codeOf(await sg.query(AfterSale.approveReturn, { id: requested.id }, stranger.token)), "FORBIDDEN");
    assert.equal(codeOf(await sg.query(AfterSale.cancelOrder, { id: order.id }, stranger.token)), "NOT_FOUND");

    const approved = dataOf(await sg.query(AfterSale.approveReturn, { id: requested.id }, admin)).approveReturn;
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.refund.amount.amount, order.total.amount / 2);
    dataOf(await sg.query(AfterSale.approveReturn, { id: requested.id }, admin));
    await seen(5);
    await waitFor("the returned unit is back", async () => (await stockOf(sg, P1)) === stockBefore + 1, { timeoutMs: 10_000 });
    await seen(5);
    assert.equal(await stockOf(sg, P1), stockBefore + 1, "the returned unit is back, once");
    await waitFor("the return's refund is paid by the provider", async () => (await afterSale(c.token, order.id)).refunds.every((r: { status: string }) => r.status === "SUCCEEDED"), { timeoutMs: 20_000 });
    assert.equal(netCharged(order.id), order.total.amount / 2);

    const rest = dataOf(await sg.query(AfterSale.refundOrder, { id: order.id, amount: null, reason: "Goodwill", key: randomUUID() }, admin)).refundOrder;
    assert.equal(rest.amount.amount, order.total.amount / 2);
    await done;
    assert.deepEqual(pushed, ["PAID", "SHIPPED", "DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED", "REFUNDED"]);
    await waitFor("every refund is paid", async () => netCharged(order.id) === 0, { timeoutMs: 20_000 });
    const final = await afterSale(c.token, order.id);
    assert.deepEqual([final.status, final.refundedTotal.amount], ["REFUNDED", order.total.amount]);
    assert.equal(codeOf(await sg.query(AfterSale.refundOrder, { id: order.id, amount: 1, reason: "More", key: randomUUID() }, admin)), "ILLEGAL_TRANSITION");
  });

  it("cancel after payment: CANCELLED, refunded in full by the provider, stock back; a customer cannot refund", async () => {
    const c = await customer(sg);
    const stockBefore = await stockOf(sg, P2);
    const order = await c.placeOrder({ [P2]: 3 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    assert.equal(codeOf(await sg.query(AfterSale.refundOrder, { id: order.id, amount: 1, reason: "Me", key: "k" }, c.token)), "FORBIDDEN");
    const cancelled = dataOf(await sg.query(AfterSale.cancelOrder, { id: order.id }, c.token)).cancelOrder;
    assert.deepEqual([cancelled.status, cancelled.refundedTotal.amount], ["CANCELLED", order.total.amount]);
    // The units come back once the cancel has committed (the inventory applies its event).
    await waitFor("the units are back", async () => (await stockOf(sg, P2)) === stockBefore, { timeoutMs: 10_000 });
    await waitFor("the refund is paid", () => netCharged(order.id) === 0 && simulator.ledger({ orderId: order.id }).refunds.length === 1, { timeoutMs: 20_000 });
    await waitFor("the refund shows SUCCEEDED", async () => (await afterSale(c.token, order.id)).refunds[0].status === "SUCCEEDED", { timeoutMs: 20_000 });
  });

  it("hostile input through the gateway is refused with a code and changes nothing", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ [P1]: 1 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    const refund = (amount: unknown, key = randomUUID()) => sg.query(AfterSale.refundOrder, { id: order.id, amount, reason: "x", key }, admin);
    assert.equal(codeOf(await refund(-5)), "BAD_USER_INPUT");
    assert.equal(codeOf(await refund(0)), "BAD_USER_INPUT");
    assert.ok(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].includes(codeOf(await refund(2 ** 31))!), "beyond Int");
    assert.equal(codeOf(await refund(order.total.amount + 1)), "REFUND_LIMIT_EXCEEDED");
    assert.equal(codeOf(await sg.query(AfterSale.refundOrder, { id: "ord_nope", amount: 1, reason: "x", key: "k" }, admin)), "NOT_FOUND");
    assert.equal(codeOf(await sg.query(AfterSale.refundOrder, { id: order.id, amount: 1, reason: "x", key: "k" })), "UNAUTHENTICATED");
    dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
    dataOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin));
    const ask = (items: unknown) => sg.query(AfterSale.requestReturn, { orderId: order.id, items, reason: "x" }, c.token);
    assert.ok(["BAD_USER_INPUT", "QUERY_TOO_COMPLEX"].includes(codeOf(await ask(Array.from({ length: 1000 }, (_, i) => ({ variantId: `v${i}`, quantity: 1 }))))!));
    assert.equal(codeOf(await ask([{ variantId: "prod_9999999", quantity: 1 }])), "NOT_FOUND");
    assert.equal(codeOf(await ask([{ variantId: P1, quantity: 2 }])), "QUANTITY_LIMIT_EXCEEDED");
    assert.equal(codeOf(await ask([{ variantId: P1, quantity: -1 }])), "BAD_USER_INPUT");
    const after = await afterSale(c.token, order.id);
    assert.deepEqual([after.status, after.refundedTotal.amount, after.returns.length], ["DELIVERED", 0, 0]);
  });

  it("a cancel racing the payment, 12 times: always cancelled, never charged for it in the end, stock back", async () => {
    const stockBefore = await stockOf(sg, P2);
    for (let round = 0; round < 12; round++) {
      const c = await customer(sg);
      const order = await c.placeOrder({ [P2]: 1 });
      // The charge takes ~30 ms at the simulator: cancel at different points of it.
      await new Promise((resolve) => setTimeout(resolve, (round % 4) * 15));
      const cancelled = dataOf(await sg.query(AfterSale.cancelOrder, { id: order.id }, c.token)).cancelOrder;
      assert.equal(cancelled.status, "CANCELLED");
      await waitFor(
        `order ${order.id}: the payment settled and whatever was taken is given back`,
        async () => {
          const payment = dataOf(await sg.query(`query($id: ID!) { order(id: $id) { payment { status } } }`, { id: order.id }, c.token)).order.payment;
          return payment.status !== "PENDING" && netCharged(order.id) === 0 && (payment.status !== "SUCCEEDED" || simulator.ledger({ orderId: order.id }).refunds.length === 1);
        },
        { timeoutMs: 20_000 },
      );
      const { refunds, refundedTotal } = await afterSale(c.token, order.id);
      const charged = simulator.ledger({ orderId: order.id }).charges.length;
      assert.ok(refunds.length <= 1, "at most one refund");
      assert.equal(refundedTotal.amount, charged > 0 ? order.total.amount : 0, "what was charged is refunded in full");
    }
    await waitFor("every unit is back", async () => (await stockOf(sg, P2)) === stockBefore, { timeoutMs: 10_000 });
  });
});
