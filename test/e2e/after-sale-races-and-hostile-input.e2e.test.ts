// The after-sale and pricing money paths under the things a real client does by accident or on
// purpose: the same action from two tabs at once, two admins racing, hostile text in every free
// field, one operation aliasing a money mutation many times, and the same mutation over the
// WebSocket transport. Every case ends by checking the money and the stock, not just the answer.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, Ops, restock, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000008";
const P2 = "prod_0000009";

const Q = {
  afterSale: `query($id: ID!) { order(id: $id) { id status total { amount } refundedTotal { amount } refunds { id amount { amount } } returns { id status } } }`,
  cancelOrder: `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`,
  refundOrder: `mutation($id: ID!, $amount: Int, $reason: String!, $key: String!) { refundOrder(id: $id, amount: $amount, reason: $reason, idempotencyKey: $key) { id amount { amount } } }`,
  requestReturn: `mutation($orderId: ID!, $items: [ReturnItemInput!]!, $reason: String!) { requestReturn(orderId: $orderId, items: $items, reason: $reason) { id status } }`,
  requestReturnKeyed: `mutation($orderId: ID!, $items: [ReturnItemInput!]!, $reason: String!, $key: String!) {
    requestReturn(orderId: $orderId, items: $items, reason: $reason, idempotencyKey: $key) { id status } }`,
  approveReturn: `mutation($id: ID!) { approveReturn(id: $id) { id status } }`,
  rejectReturn: `mutation($id: ID!, $reason: String!) { rejectReturn(id: $id, reason: $reason) { id status } }`,
  applyCoupon: `mutation($code: String!) { applyCoupon(code: $code) { couponCode } }`,
  checkoutTo: `mutation($key: String!, $address: AddressInput!, $coupon: String) {
    checkout(idempotencyKey: $key, shippingAddress: $address, shippingMethodId: "shp_standard", couponCode: $coupon) { id } }`,
};
const ADDRESS = { recipientName: "Test Customer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
const HUGE = "x".repeat(100_000);
const HOSTILE = [`a\u0000b`, "\u0000", HUGE, `${HUGE}\u0000`];

describeOnEngines("after-sale races and hostile input through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;
  let otherAdmin: string;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 10 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
    admin = await sg.token("admin-races-1", ["admin"]);
    otherAdmin = await sg.token("admin-races-2", ["admin"]);
    await restock(sg, [P1, P2]);
  });
  after(async () => {
    await sg.close();
    await simulator.close();
  });

  const afterSale = async (token: string, id: string) => dataOf(await sg.query(Q.afterSale, { id }, token)).order;
  const netCharged = (orderId: string) => {
    const { charges, refunds } = simulator.ledger({ orderId });
    return charges.reduce((sum, c) => sum + c.amount, 0) - refunds.reduce((sum, r) => sum + r.amount, 0);
  };
  async function paidOrder(lines: Record<string, number>, delivered = false) {
    const c = await customer(sg);
    const order = await c.placeOrder(lines);
    await waitForStatus(sg, c.token, order.id, "PAID");
    if (delivered) {
      dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
      dataOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin));
    }
    return { c, order };
  }

  it("two tabs cancel one PAID order at once: CANCELLED, one refund at the provider, stock back once", async () => {
    for (let round = 0; round < 3; round++) {
      const stockBefore = await stockOf(sg, P1);
      const { c, order } = await paidOrder({ [P1]: 2 });
      const answers = await Promise.all([sg.query(Q.cancelOrder, { id: order.id }, c.token), sg.query(Q.cancelOrder, { id: order.id }, c.token)]);
      for (const answer of answers) assert.ok(answer.data?.cancelOrder?.status === "CANCELLED" || codeOf(answer) === "ILLEGAL_TRANSITION", JSON.stringify(answer));
      assert.ok(answers.some((a) => a.data?.cancelOrder?.status === "CANCELLED"));
      await waitFor("the refund is paid", () => netCharged(order.id) === 0, { timeoutMs: 20_000 });
      const final = await afterSale(c.token, order.id);
      assert.deepEqual([final.status, final.refunds.length, final.refundedTotal.amount], ["CANCELLED", 1, order.total.amount]);
      assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1, "one refund at the provider");
      await waitFor("the units are back, once", async () => (await stockOf(sg, P1)) === stockBefore, { timeoutMs: 10_000 });
      assert.equal(await stockOf(sg, P1), stockBefore);
    }
  });

  it("two tabs ask to return the same unit at once, without a key: one return, both answers name it", async () => {
    const { c, order } = await paidOrder({ [P1]: 2 }, true);
    const ask = () => sg.query(Q.requestReturn, { orderId: order.id, items: [{ variantId: P1, quantity: 1 }], reason: "Broken" }, c.token);
    const answers = await Promise.all([ask(), ask()]);
    assert.deepEqual(answers.map((a) => a.errors), [undefined, undefined], JSON.stringify(answers));
    const [first, second] = answers.map((a) => a.data?.requestReturn.id as string | undefined);
    assert.ok(first);
    assert.equal(second, first);
    const final = await afterSale(c.token, order.id);
    assert.deepEqual(final.returns.map((r: { status: string }) => r.status), ["REQUESTED"]);
  });

  it("a return sent twice under one key (a double click, then a retry after a lost answer): one return, every answer names it", async () => {
    const { c, order } = await paidOrder({ [P1]: 3 }, true);
    const ask = () => sg.query(Q.requestReturnKeyed, { orderId: order.id, items: [{ variantId: P1, quantity: 1 }], reason: "Broken", key: "return-tab" }, c.token);
    const answers = await Promise.all([ask(), ask()]);
    const retry = await ask();
    const ids = [...answers, retry].map((a) => dataOf(a).requestReturn.id);
    assert.equal(new Set(ids).size, 1, JSON.stringify([...answers, retry]));
    const final = await afterSale(c.token, order.id);
    assert.deepEqual(final.returns.map((r: { id: string }) => r.id), [ids[0]]);
  });

  it("approveReturn racing rejectReturn: one final state, at most one refund, at most one unit back", async () => {
    for (let round = 0; round < 3; round++) {
      const { c, order } = await paidOrder({ [P2]: 1 }, true);
      const ret = dataOf(await sg.query(Q.requestReturn, { orderId: order.id, items: [{ variantId: P2, quantity: 1 }], reason: "Broken" }, c.token)).requestReturn;
      const stockBefore = await stockOf(sg, P2);
      const [approved, rejected] = await Promise.all([sg.query(Q.approveReturn, { id: ret.id }, admin), sg.query(Q.rejectReturn, { id: ret.id, reason: "Worn" }, otherAdmin)]);
      const winners = [approved.data?.approveReturn?.status, rejected.data?.rejectReturn?.status].filter(Boolean);
      assert.equal(winners.length, 1, `exactly one decision wins: ${JSON.stringify([approved, rejected])}`);
      assert.equal(codeOf(approved.errors ? approved : rejected), "ILLEGAL_TRANSITION");
      const final = await afterSale(c.token, order.id);
      assert.deepEqual(final.returns.map((r: { status: string }) => r.status), winners);
      if (winners[0] === "APPROVED") {
        assert.deepEqual([final.status, final.refunds.length, final.refundedTotal.amount], ["REFUNDED", 1, order.total.amount]);
        await waitFor("the unit is back", async () => (await stockOf(sg, P2)) === stockBefore + 1, { timeoutMs: 10_000 });
      } else {
        assert.deepEqual([final.status, final.refunds.length, final.refundedTotal.amount], ["DELIVERED", 0, 0]);
        assert.equal(await stockOf(sg, P2), stockBefore);
      }
    }
  });

  it("refundOrder: one key from two admins at once is one refund; two keys together beyond the capture, one is refused", async () => {
    const { c, order } = await paidOrder({ [P1]: 2 });
    const half = order.total.amount / 2;
    const key = randomUUID();
    const same = await Promise.all([admin, otherAdmin].map((as) => sg.query(Q.refundOrder, { id: order.id, amount: half, reason: "Dent", key }, as)));
    assert.equal(new Set(same.map((r) => dataOf(r).refundOrder.id)).size, 1, "the same refund for both");
    assert.equal((await afterSale(c.token, order.id)).refundedTotal.amount, half);

    const rest = order.total.amount - half;
    const two = await Promise.all([admin, otherAdmin].map((as) => sg.query(Q.refundOrder, { id: order.id, amount: rest, reason: "Both", key: randomUUID() }, as)));
    assert.equal(two.filter((r) => r.data?.refundOrder).length, 1, JSON.stringify(two));
    // The loser finds the order either short of room or already fully refunded.
    assert.ok(["REFUND_LIMIT_EXCEEDED", "ILLEGAL_TRANSITION"].includes(codeOf(two.find((r) => r.errors)!)!));
    const final = await afterSale(c.token, order.id);
    assert.deepEqual([final.status, final.refunds.length, final.refundedTotal.amount], ["REFUNDED", 2, order.total.amount]);
    await waitFor("the provider paid exactly the capture back", () => netCharged(order.id) === 0, { timeoutMs: 20_000 });
  });

  it("NUL bytes and 100 KB strings in the coupon code, the return reason and the address are refused with a code and change nothing", async () => {
    const { c, order } = await paidOrder({ [P1]: 1 }, true);
    for (const text of HOSTILE) {
      const coupon = await sg.query(Q.applyCoupon, { code: text }, c.token);
      assert.ok(["BAD_USER_INPUT", "COUPON_INVALID"].includes(codeOf(coupon)!), JSON.stringify(coupon).slice(0, 300));
      const ret = await sg.query(Q.requestReturn, { orderId: order.id, items: [{ variantId: P1, quantity: 1 }], reason: text }, c.token);
      assert.equal(codeOf(ret), "BAD_USER_INPUT", JSON.stringify(ret).slice(0, 300));
      const refund = await sg.query(Q.refundOrder, { id: order.id, amount: 1, reason: text, key: randomUUID() }, admin);
      assert.equal(codeOf(refund), "BAD_USER_INPUT", JSON.stringify(refund).slice(0, 300));
    }
    const final = await afterSale(c.token, order.id);
    assert.deepEqual([final.status, final.returns.length, final.refunds.length], ["DELIVERED", 0, 0]);

    const buyer = await customer(sg);
    await buyer.add(P1, 1);
    for (const text of HOSTILE) {
      for (const field of ["recipientName", "line1", "city", "region", "postalCode", "country"]) {
        const answer = await sg.query(Q.checkoutTo, { key: randomUUID(), address: { ...ADDRESS, [field]: text } }, buyer.token);
        assert.equal(codeOf(answer), "BAD_USER_INPUT", `${field}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      const coupon = await sg.query(Q.checkoutTo, { key: randomUUID(), address: ADDRESS, coupon: text }, buyer.token);
      assert.ok(["BAD_USER_INPUT", "COUPON_INVALID"].includes(codeOf(coupon)!), JSON.stringify(coupon).slice(0, 300));
    }
    const orders = dataOf(await sg.query(`{ orders(first: 5) { totalCount } }`, {}, buyer.token)).orders;
    assert.equal(orders.totalCount, 0, "no order from hostile input");
    assert.equal(dataOf(await sg.query(Ops.cart, {}, buyer.token)).cart.totalQuantity, 1, "the cart keeps its item");
  });

  it("one operation aliasing cancelOrder and refundOrder 20 times refunds at most what was paid, once per key", async () => {
    const stockBefore = await stockOf(sg, P2);
    const { c, order } = await paidOrder({ [P2]: 1 });
    const cancels = Array.from({ length: 20 }, (_, i) => `c${i}: cancelOrder(id: $id) { status }`).join(" ");
    const cancelled = await sg.query(`mutation($id: ID!) { ${cancels} }`, { id: order.id }, c.token);
    // The first alias cancels; the next find it CANCELLED and answer it as it is (or the
    // operation is refused whole for its cost).
    const answered = !cancelled.errors && Object.values((cancelled.data ?? {}) as Record<string, { status: string }>).every((alias) => alias.status === "CANCELLED");
    assert.ok(answered || codeOf(cancelled) === "QUERY_TOO_COMPLEX", JSON.stringify(cancelled).slice(0, 500));
    if ((await afterSale(c.token, order.id)).status === "CANCELLED") {
      await waitFor("the refund is paid", () => netCharged(order.id) === 0, { timeoutMs: 20_000 });
      assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1, "one refund for twenty cancels");
      await waitFor("the unit is back, once", async () => (await stockOf(sg, P2)) === stockBefore, { timeoutMs: 10_000 });
    }

    const { c: c2, order: paid } = await paidOrder({ [P2]: 2 });
    const half = paid.total.amount / 2;
    const run = randomUUID();
    const refunds = Array.from({ length: 20 }, (_, i) => `r${i}: refundOrder(id: $id, amount: ${half}, reason: "Alias", idempotencyKey: "${run}-${i % 3}") { id }`).join(" ");
    const answer = await sg.query(`mutation($id: ID!) { ${refunds} }`, { id: paid.id }, admin);
    const final = await afterSale(c2.token, paid.id);
    assert.ok(final.refundedTotal.amount <= paid.total.amount, JSON.stringify(final));
    if (codeOf(answer) !== "QUERY_TOO_COMPLEX") {
      assert.deepEqual([final.refunds.length, final.refundedTotal.amount, final.status], [2, paid.total.amount, "REFUNDED"]);
    }
  });

  it("cancelOrder over the WebSocket: the same auth as HTTP, and the same single refund", async () => {
    const { c, order } = await paidOrder({ [P1]: 1 });
    const stranger = await customer(sg);
    const over = async (token: string | undefined) => {
      const client = wsClient(sg.gatewayUrl, token);
      try {
        return (await collectSubscription(client, Q.cancelOrder, { id: order.id }, () => true, 15_000))[0]!;
      } finally {
        await client.dispose();
      }
    };
    assert.equal(codeOf(await over(undefined)), "UNAUTHENTICATED");
    assert.equal(codeOf(await over(stranger.token)), "NOT_FOUND");
    assert.equal((await afterSale(c.token, order.id)).status, "PAID");
    const [first, second] = await Promise.all([over(c.token), sg.query(Q.cancelOrder, { id: order.id }, c.token)]);
    assert.ok([first.data?.cancelOrder?.status, second.data?.cancelOrder?.status].includes("CANCELLED"), JSON.stringify([first, second]));
    await waitFor("the refund is paid", () => netCharged(order.id) === 0, { timeoutMs: 20_000 });
    assert.equal(simulator.ledger({ orderId: order.id }).refunds.length, 1);
  });
});

describeOnEngines("aliased coupon guesses and checkouts draw on the checkout budget, over HTTP and the WebSocket", (engines) => {
  const BUDGET = 10;
  let sg: CheckoutSupergraph;

  before(async () => {
    sg = await startCheckoutSupergraph({ engines, env: { RATE_LIMIT_CHECKOUT_PER_MINUTE: String(BUDGET) } });
    await restock(sg, [P1]);
  });
  after(() => sg.close());

  const guesses = (count: number) => `mutation { ${Array.from({ length: count }, (_, i) => `g${i}: applyCoupon(code: "GUESS${i}") { couponCode }`).join(" ")} }`;
  const checkouts = (count: number) =>
    `mutation { ${Array.from({ length: count }, (_, i) => `k${i}: checkout(idempotencyKey: "${randomUUID()}-${i}", shippingAddress: { recipientName: "A", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard") { id }`).join(" ")} }`;

  it("20 aliased applyCoupon or checkout in one HTTP operation are 20 charges: refused whole, nothing ordered, and the budget is left untouched", async () => {
    const c = await customer(sg);
    await c.add(P1, 1);
    for (const flood of [guesses(2 * BUDGET), checkouts(2 * BUDGET)]) {
      const refused = await sg.query(flood, {}, c.token);
      assert.deepEqual([codeOf(refused), refused.errors?.[0]?.extensions?.budget], ["RATE_LIMITED", "checkout"], JSON.stringify(refused).slice(0, 300));
    }
    assert.equal(dataOf(await sg.query(`{ orders(first: 5) { totalCount } }`, {}, c.token)).orders.totalCount, 0);
    // A refused request charges nothing: the whole budget is still there, to the last guess.
    const within = await sg.query(guesses(BUDGET), {}, c.token);
    assert.equal(codeOf(within), "COUPON_INVALID", JSON.stringify(within).slice(0, 300));
    assert.equal(codeOf(await sg.query(guesses(1), {}, c.token)), "RATE_LIMITED");
  });

  it("the same aliased flood over the WebSocket is refused the same way, and draws on the same budget as HTTP", async () => {
    const c = await customer(sg);
    await c.add(P1, 1);
    const client = wsClient(sg.gatewayUrl, c.token);
    const overSocket = async (query: string) => {
      try {
        const [first] = await collectSubscription(client, query, {}, () => true, 15_000);
        return { errors: first!.errors };
      } catch (error) {
        // A refusal before execution arrives as the socket's error message: its payload is the errors.
        return { errors: JSON.parse((error as Error).message) as { extensions?: Record<string, unknown> }[] };
      }
    };
    try {
      const refused = await overSocket(guesses(2 * BUDGET));
      assert.deepEqual([codeOf(refused), refused.errors?.[0]?.extensions?.budget], ["RATE_LIMITED", "checkout"], JSON.stringify(refused).slice(0, 300));
      assert.equal(codeOf(await overSocket(guesses(BUDGET - 1))), "COUPON_INVALID");
      assert.equal(codeOf(await sg.query(guesses(1), {}, c.token)), "COUPON_INVALID", "the last point, over HTTP");
      assert.equal(codeOf(await overSocket(guesses(1))), "RATE_LIMITED", "spent over both transports together");
    } finally {
      await client.dispose();
    }
  });
});
