import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { newEvent, PaymentEventTypes, type Identity, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import type { OrderItem } from "../src/domain/order.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

function definePaymentOutcomeSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("order consumer and state machine on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 1000, p2: 1000 });
    });
    after(() => h.close());

    const as = (userId: string, roles: Identity["roles"] = ["customer"]): RequestContext => ({ requestId: "test", identity: { userId, roles }, logger: h.logger });

    // Outcomes name the order's customer, as the payments service sends them.
    const customers = new Map<string, string>();
    async function placeOrder(userId: string, quantity = 1) {
      await h.addToCart(userId, "p1", quantity);
      const order = await h.checkout.checkout(userId, `key-${userId}-${Math.random()}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      customers.set(order.id, userId);
      return { order, paymentId: payment.id };
    }
    const confirmed = (orderId: string, paymentId: string) =>
      newEvent(PaymentEventTypes.confirmed, orderId, { paymentId, orderId, providerRef: `ref-${orderId}`, attempts: 1, userId: customers.get(orderId) });
    const failed = (orderId: string, paymentId: string) =>
      newEvent(PaymentEventTypes.failed, orderId, { paymentId, orderId, reason: "Card declined", attempts: 1, userId: customers.get(orderId) });
    const history = async (orderId: string) => (await h.store.historyOf([orderId])).get(orderId)!.map((c) => `${c.from ?? "-"}>${c.to}`);
    const statusOf = async (orderId: string) => (await h.store.findById(orderId))!.status;
    const outboxFor = async (orderId: string, type: string) => (await h.outbox(type)).filter((e) => e.key === orderId);

    it("PaymentConfirmed commits the stock hold and makes the order PAID, announcing it", async () => {
      const { order, paymentId } = await placeOrder("u-paid");
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "PAID");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      const announced = (await outboxFor(order.id, "OrderStatusChanged")).map((e) => e.payload as { to: string; sold?: unknown });
      assert.deepEqual(announced.map((payload) => payload.to), ["PENDING", "PAID"]);
      // Only the PAID event says what was sold: the catalog's popularity counts it.
      assert.deepEqual(announced.map((payload) => payload.sold), [undefined, [{ productId: "p1", variantId: "p1", quantity: 1 }]]);
    });

    it("applies a redelivered event once (deduplicated by event id)", async () => {
      const { order, paymentId } = await placeOrder("u-twice");
      const event = confirmed(order.id, paymentId);
      await h.handlePaymentOutcome(event);
      const commits = h.reservations.calls.commit;
      await h.handlePaymentOutcome(event);
      await h.handlePaymentOutcome(structuredClone(event));
      assert.equal(h.reservations.calls.commit, commits);
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      assert.equal((await outboxFor(order.id, "OrderStatusChanged")).length, 2);
    });

    it("PaymentFailed releases the stock and ends the order PAYMENT_FAILED with the reason", async () => {
      const stockBefore = h.reservations.available("p1");
      const { order, paymentId } = await placeOrder("u-declined", 4);
      assert.equal(h.reservations.available("p1"), stockBefore - 4);
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      const after = (await h.store.findById(order.id))!;
      assert.equal(after.status, "PAYMENT_FAILED");
      assert.equal(after.statusReason, "Card declined");
      assert.equal(h.reservations.available("p1"), stockBefore);
    });

    it("refunds in full, once, when the payment is confirmed after the customer cancelled", async () => {
      const { order, paymentId } = await placeOrder("u-cancel-first");
      await h.orders.cancel(as("u-cancel-first"), order.id);
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "CANCELLED");
      const [refund, ...more] = (await h.store.refundsOf([order.id])).get(order.id)!;
      assert.equal(more.length, 0, "a second confirmation asks for nothing more");
      assert.deepEqual([refund!.amount, refund!.status], [order.total, "PENDING"]);
      const requested = await outboxFor(order.id, "RefundRequested");
      assert.deepEqual(
        requested.map((e) => e.payload),
        [{ paymentId, orderId: order.id, refundId: refund!.id, amount: order.total.amount, currency: order.total.currency }],
      );
      assert.equal((await h.store.findById(order.id))!.refundedAmount, order.total.amount);
    });

    it("cancels and refunds when the stock hold expired and cannot be taken again", async () => {
      const { order, paymentId } = await placeOrder("u-expired");
      h.reservations.expire(order.id);
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      const after = (await h.store.findById(order.id))!;
      assert.equal(after.status, "CANCELLED");
      assert.match(after.statusReason ?? "", /expired/);
      assert.equal((await outboxFor(order.id, "RefundRequested")).length, 1);
    });

    it("a cancel racing the payment confirmation always ends cancelled and refunded in full, with the stock back, whichever comes first", async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const userId = `u-race-${round}`;
        const stockBefore = h.reservations.available("p1");
        const { order, paymentId } = await placeOrder(userId);
        const [cancel] = await Promise.allSettled([h.orders.cancel(as(userId), order.id), h.handlePaymentOutcome(confirmed(order.id, paymentId))]);
        assert.equal(cancel.status, "fulfilled", "cancel is allowed until shipping, paid or not");
        assert.equal(await statusOf(order.id), "CANCELLED");
        const refunds = (await h.store.refundsOf([order.id])).get(order.id) ?? [];
        assert.deepEqual(refunds.map((r) => r.amount.amount), [order.total.amount], "exactly one full refund");
        assert.equal((await outboxFor(order.id, "RefundRequested")).length, 1);
        assert.equal(h.reservations.available("p1"), stockBefore, "the unit is back, released or returned");
        // Which one won: the hold released (cancel first) or committed then put back (payment first).
        outcomes.add(h.reservations.statusOf(order.id) === "RELEASED" ? "cancel-first" : "paid-first");
        if (h.reservations.statusOf(order.id) === "COMMITTED") assert.ok(h.reservations.putBack(`cancel:${order.id}`));
      }
      assert.ok(outcomes.size >= 1);
    });

    it("reads the lines of the order it holds locked in one statement, priced in the order's currency", async () => {
      await h.addToCart("u-lines", "p2", 2);
      const { order } = await placeOrder("u-lines", 3);
      // Every statement any pg client sends while the decision reads the lines (nothing else
      // runs in this suite meanwhile): the payment outcome does this on every checkout.
      const query = pg.Client.prototype.query;
      let sent = 0;
      let lines: OrderItem[] | undefined;
      await h.store.update(order.id, async (current, reads) => {
        pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
          sent += 1;
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof query;
        try {
          lines = await reads.items();
        } finally {
          pg.Client.prototype.query = query;
        }
        assert.ok(current);
        return null;
      });
      assert.equal(sent, 1);
      assert.deepEqual(
        lines!.map((l) => [l.variantId, l.quantity, l.unitPrice, l.orderId]),
        [
          ["p1", 3, { amount: 1000, currency: "USD" }, order.id],
          ["p2", 2, { amount: 1000, currency: "USD" }, order.id],
        ],
      );
      assert.deepEqual(lines, (await h.store.itemsOf([order.id])).get(order.id), "the same lines as the order's own read");
    });

    // Kafka delivers at least once and, across partitions and a relay's retries, in any order;
    // an event re-published under a new id is not caught by the processed-event record, so the
    // order's status alone must make every late or repeated outcome harmless.
    const sent = (orderId: string, type: string) => outboxFor(orderId, type).then((events) => events.length);

    it("a PaymentFailed after the confirmation (a new event id) leaves the order PAID and its sold units sold", async () => {
      const { order, paymentId } = await placeOrder("u-late-failure", 2);
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      const { release } = h.reservations.calls;
      const stock = h.reservations.available("p1");
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "PAID");
      assert.deepEqual([h.reservations.statusOf(order.id), h.reservations.calls.release, h.reservations.available("p1")], ["COMMITTED", release, stock], "nothing released");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
    });

    it("a PaymentConfirmed after the failure refunds the capture once and sells nothing: the released units stay on sale", async () => {
      const stock = h.reservations.available("p1");
      const { order, paymentId } = await placeOrder("u-late-success", 2);
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      assert.equal(h.reservations.available("p1"), stock);
      const { commit } = h.reservations.calls;
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "PAYMENT_FAILED", "a failed order is not resurrected");
      assert.deepEqual([h.reservations.calls.commit, h.reservations.statusOf(order.id), h.reservations.available("p1")], [commit, "RELEASED", stock], "no unit sold");
      assert.deepEqual(((await h.store.refundsOf([order.id])).get(order.id) ?? []).map((r) => [r.amount.amount, r.status]), [[order.total.amount, "PENDING"]]);
      assert.equal(await sent(order.id, "RefundRequested"), 1, "the money kept is asked back once");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAYMENT_FAILED"]);
    });

    it("an old PaymentConfirmed replayed after a cancel of the paid order asks no second refund and puts no unit back twice", async () => {
      const stock = h.reservations.available("p1");
      const { order, paymentId } = await placeOrder("u-replay-cancel", 3);
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await h.orders.cancel(as("u-replay-cancel"), order.id);
      assert.equal(h.reservations.available("p1"), stock);
      const { commit, release } = h.reservations.calls;
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "CANCELLED");
      assert.deepEqual([await sent(order.id, "RefundRequested"), await sent(order.id, "StockReturnRequested")], [1, 1]);
      assert.deepEqual([h.reservations.calls.commit, h.reservations.calls.release, h.reservations.available("p1")], [commit, release, stock]);
      assert.equal((await h.store.findById(order.id))!.refundedAmount, order.total.amount);
    });

    it("old outcomes replayed after a full admin refund, and a repeated PaymentRefunded, change nothing", async () => {
      const { order, paymentId } = await placeOrder("u-replay-refund", 2);
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      const refund = await h.afterSale.refundOrder(as("admin-1", ["admin"]), order.id, { amount: null, reason: "all of it", idempotencyKey: "replay-refund" });
      const paidBack = (refundRef: string) =>
        newEvent(PaymentEventTypes.refunded, order.id, { paymentId, orderId: order.id, refundId: refund.id, refundRef, amount: order.total.amount, currency: order.total.currency });
      await h.handlePaymentOutcome(paidBack("re_1"));
      const settledRefund = async () => ((await h.store.refundsOf([order.id])).get(order.id) ?? []).map((r) => [r.amount.amount, r.status, r.providerRef]);
      assert.deepEqual(await settledRefund(), [[order.total.amount, "SUCCEEDED", "re_1"]]);
      const before = { history: await history(order.id), refunds: await sent(order.id, "RefundRequested"), restocks: await sent(order.id, "StockReturnRequested"), changes: await sent(order.id, "OrderStatusChanged") };
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      await h.handlePaymentOutcome(paidBack("re_2"));
      assert.equal(await statusOf(order.id), "REFUNDED");
      assert.deepEqual(await settledRefund(), [[order.total.amount, "SUCCEEDED", "re_1"]], "the refund is settled once, by its first answer");
      assert.deepEqual(
        { history: await history(order.id), refunds: await sent(order.id, "RefundRequested"), restocks: await sent(order.id, "StockReturnRequested"), changes: await sent(order.id, "OrderStatusChanged") },
        before,
      );
    });

    it("throws on an event it cannot apply, so it is retried and then dead-lettered", async () => {
      await assert.rejects(h.handlePaymentOutcome(confirmed("ord_missing", "pay_missing")), /unknown order/);
      await assert.rejects(h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, "x", { nonsense: true })), /no orderId/);
      await h.handlePaymentOutcome(newEvent(PaymentEventTypes.requested, "x", {}));
    });

    it("lets admins ship a PAID order and deliver a SHIPPED one, answering a repeat as it is and refusing every other transition", async () => {
      const { order, paymentId } = await placeOrder("u-ship");
      const admin = as("admin-1", ["admin"]);
      await assert.rejects(h.orders.ship(admin, order.id), (error) => codeOf(error) === "ILLEGAL_TRANSITION");
      await assert.rejects(h.orders.deliver(admin, order.id), (error) => codeOf(error) === "ILLEGAL_TRANSITION");
      await h.handlePaymentOutcome(confirmed(order.id, paymentId));
      await assert.rejects(h.orders.ship(as("u-ship"), order.id), (error) => codeOf(error) === "FORBIDDEN");
      assert.equal((await h.orders.ship(admin, order.id)).status, "SHIPPED");
      await assert.rejects(h.orders.cancel(as("u-ship"), order.id), (error) => codeOf(error) === "ILLEGAL_TRANSITION", "a shipped order can no longer be cancelled");
      assert.equal((await h.orders.ship(admin, order.id)).status, "SHIPPED", "shipping a shipped order again answers it as it is");
      assert.equal((await h.orders.deliver(admin, order.id)).status, "DELIVERED");
      await assert.rejects(h.orders.ship(admin, order.id), (error) => codeOf(error) === "ILLEGAL_TRANSITION", "a delivered order is not shipped again");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID", "PAID>SHIPPED", "SHIPPED>DELIVERED"]);
      await h.handlePaymentOutcome(failed(order.id, paymentId));
      assert.equal(await statusOf(order.id), "DELIVERED", "a late failure changes nothing after payment");
    });

    it("shows an order to its owner and admins only", async () => {
      const { order } = await placeOrder("u-private");
      assert.equal((await h.orders.order(as("u-private"), order.id))?.id, order.id);
      assert.equal((await h.orders.order(as("admin-2", ["admin"]), order.id))?.id, order.id);
      assert.equal(await h.orders.order(as("someone-else"), order.id), null);
      assert.equal(await h.orders.order({ requestId: "anon", logger: h.logger }, order.id), null);
    });
  });
}

definePaymentOutcomeSuite("embedded");
describeWithRealEngine({ suite: "order consumer and state machine on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () =>
  definePaymentOutcomeSuite("real"),
);
