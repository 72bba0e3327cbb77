import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newEvent, PaymentEventTypes, type Identity, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { CANCELLED_ORDER_WATCH_MS, createPendingOrderReconciler } from "../src/domain/pending-order-reconciler.js";
import type { OrderPayment, PaymentOutcomes } from "../src/ports/payment-outcomes.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

const AFTER_MS = 60_000;

/**
 * The reconciler drives an order whose payment outcome event was lost (the order stays
 * PENDING while the payments service has settled it) to the state the event would have
 * given it, once, whoever else applies it at the same moment.
 */
function defineReconcilerSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("pending-order reconciler on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    /** What the payments service says, per order: the source of truth for money. */
    const recorded = new Map<string, OrderPayment>();
    const asked: string[][] = [];
    const payments: PaymentOutcomes = {
      async ofOrders(orderIds) {
        asked.push([...orderIds]);
        return new Map(orderIds.filter((id) => recorded.has(id)).map((id) => [id, structuredClone(recorded.get(id)!)]));
      },
    };
    /** The clock of a reconciler running `AFTER_MS` and a bit after every order placed so far. */
    const later = () => new Date(Date.now() + AFTER_MS + 1_000);
    const reconciler = () => createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger, clock: later });

    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 1000 });
    });
    after(() => h.close());

    async function placeOrder(userId: string, quantity = 1) {
      await h.addToCart(userId, "p1", quantity);
      const order = await h.checkout.checkout(userId, `key-${userId}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      return { order, paymentId: payment.id };
    }
    const settle = (orderId: string, paymentId: string, status: OrderPayment["status"], failureReason: string | null = null) =>
      recorded.set(orderId, { paymentId, status, failureReason, attempts: 1, amount: 1000, currency: "USD" });
    const statusOf = async (orderId: string) => (await h.store.findById(orderId))!.status;
    const history = async (orderId: string) => (await h.store.historyOf([orderId])).get(orderId)!.map((c) => `${c.from ?? "-"}>${c.to}`);
    /** Settles every order a test left PENDING, so later passes see only their own. */
    async function settleLeftovers(): Promise<void> {
      const left = await h.store.findStalePending(later(), 1000);
      for (const { id } of left) {
        const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: id } });
        settle(id, payment.id, "FAILED", "test over");
      }
      await reconciler().reconcileOnce({ afterMs: AFTER_MS, batchSize: 1000 });
    }

    it("applies a succeeded payment the order never heard of: the hold is committed and the order PAID", async () => {
      const { order, paymentId } = await placeOrder("u-lost-confirmation");
      settle(order.id, paymentId, "SUCCEEDED");
      const pass = await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.equal(pass.applied, 1);
      assert.equal(await statusOf(order.id), "PAID");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      // Nothing PENDING is left to look at: the next pass asks the payments service nothing.
      const asksBefore = asked.length;
      assert.equal((await reconciler().reconcileOnce({ afterMs: AFTER_MS })).examined, 0);
      assert.equal(asked.length, asksBefore);
    });

    it("applies a failed payment: the hold goes back and the order ends PAYMENT_FAILED with the payment's reason", async () => {
      const available = h.reservations.available("p1");
      const { order, paymentId } = await placeOrder("u-lost-failure", 3);
      assert.equal(h.reservations.available("p1"), available - 3);
      settle(order.id, paymentId, "FAILED", "Card declined");
      await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      const after = (await h.store.findById(order.id))!;
      assert.equal(after.status, "PAYMENT_FAILED");
      assert.equal(after.statusReason, "Card declined");
      assert.equal(h.reservations.available("p1"), available);
    });

    it("leaves alone an order whose payment is still being charged, has no payment yet, or is younger than the threshold", async () => {
      const charging = await placeOrder("u-charging");
      settle(charging.order.id, charging.paymentId, "PENDING");
      const unannounced = await placeOrder("u-no-payment-yet");
      const pass = await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.deepEqual({ applied: pass.applied, paymentPending: pass.paymentPending, noPayment: pass.noPayment }, { applied: 0, paymentPending: 1, noPayment: 1 });
      assert.equal(await statusOf(charging.order.id), "PENDING");
      assert.equal(await statusOf(unannounced.order.id), "PENDING");

      // With the real clock, neither is old enough to be looked at.
      const young = createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger });
      assert.equal((await young.reconcileOnce({ afterMs: AFTER_MS })).examined, 0);
      await settleLeftovers();
    });

    it("does not guess about a payment refunded while its order stayed PENDING: counted for an operator, order untouched", async () => {
      const { order, paymentId } = await placeOrder("u-refunded");
      settle(order.id, paymentId, "REFUNDED");
      const pass = await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.equal(pass.unresolved, 1);
      assert.equal(await statusOf(order.id), "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      await settleLeftovers();
    });

    it("replicas reconciling at once while the original event finally arrives change the order once", async () => {
      const { order, paymentId } = await placeOrder("u-racing-replicas", 2);
      settle(order.id, paymentId, "SUCCEEDED");
      const commitsBefore = h.reservations.calls.commit;
      const original = newEvent(PaymentEventTypes.confirmed, order.id, { paymentId, orderId: order.id, providerRef: "ref-late", attempts: 1 });
      await Promise.all([
        reconciler().reconcileOnce({ afterMs: AFTER_MS }),
        reconciler().reconcileOnce({ afterMs: AFTER_MS }),
        reconciler().reconcileOnce({ afterMs: AFTER_MS }),
        h.handlePaymentOutcome(original),
      ]);
      assert.equal(await statusOf(order.id), "PAID");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      assert.equal(h.reservations.calls.commit - commitsBefore, 1, "the hold is committed once");
      const paid = (await h.outbox("OrderStatusChanged")).filter((e) => e.key === order.id && (e.payload as { to: string }).to === "PAID");
      assert.equal(paid.length, 1, "PAID is announced once");
    });

    it("reaches a newer order behind a batch of older ones it cannot settle", async () => {
      // Three old orders nobody can settle yet (payments still charging, one refunded), then one
      // whose confirmation was lost; a batch of two, as a backlog of a hundred would be.
      const stuck: Awaited<ReturnType<typeof placeOrder>>[] = [];
      for (let i = 0; i < 3; i++) stuck.push(await placeOrder(`u-stuck-${i}`));
      for (const [i, { order, paymentId }] of stuck.entries()) settle(order.id, paymentId, i === 2 ? "REFUNDED" : "PENDING");
      const lost = await placeOrder("u-behind-the-stuck");
      settle(lost.order.id, lost.paymentId, "SUCCEEDED");
      const running = reconciler();
      for (let pass = 0; pass < 3 && (await statusOf(lost.order.id)) === "PENDING"; pass++) await running.reconcileOnce({ afterMs: AFTER_MS, batchSize: 2 });
      assert.equal(await statusOf(lost.order.id), "PAID", "the order behind the stuck ones is reconciled");
      // Once past the newest, it starts again from the oldest: the stuck ones are looked at again.
      const asksBefore = asked.length;
      for (let pass = 0; pass < 2; pass++) await running.reconcileOnce({ afterMs: AFTER_MS, batchSize: 2 });
      assert.ok(asked.slice(asksBefore).some((ids) => ids.includes(stuck[0]!.order.id)), "the oldest is looked at again");
      await settleLeftovers();
    });

    it("refunds the capture of an order the customer cancelled while its confirmation was lost, once, whoever reconciles; a cancel with nothing captured is left alone", async () => {
      const as = (userId: string): RequestContext => ({ requestId: "test", identity: { userId, roles: ["customer"] }, logger: h.logger });
      const captured = await placeOrder("u-cancel-lost-confirmation", 2);
      const never = await placeOrder("u-cancel-never-charged");
      const inDoubt = await placeOrder("u-cancel-charge-in-doubt");
      // The payments service captured the first; its PaymentConfirmed never reached the order,
      // which the customer cancels as the PENDING order it still shows.
      for (const { order } of [captured, never, inDoubt]) assert.equal((await h.orders.cancel(as(order.userId), order.id)).status, "CANCELLED");
      settle(captured.order.id, captured.paymentId, "SUCCEEDED");
      settle(never.order.id, never.paymentId, "FAILED", "The order was cancelled before its payment was taken");
      settle(inDoubt.order.id, inDoubt.paymentId, "PENDING");
      const releasedFirst = h.reservations.statusOf(captured.order.id);

      // Within the threshold the confirmation may still come: not looked at.
      const young = createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger });
      await young.reconcileOnce({ afterMs: AFTER_MS });
      assert.equal((await h.store.refundsOf([captured.order.id])).get(captured.order.id)?.length ?? 0, 0);

      const passes = await Promise.all([reconciler().reconcileOnce({ afterMs: AFTER_MS }), reconciler().reconcileOnce({ afterMs: AFTER_MS })]);
      const refunds = (await h.store.refundsOf([captured.order.id])).get(captured.order.id);
      assert.deepEqual((refunds ?? []).map((r) => [r.amount.amount, r.status]), [[2000, "PENDING"]], "one refund of everything captured");
      assert.ok(passes.every((pass) => pass.cancelledExamined >= 1));
      // One refund asked for. (These passes run a threshold ahead, so the refund they promise is
      // already past it to them: one may ask for it again, under its own id, as for a request lost
      // on the way.)
      const requested = (await h.outbox("RefundRequested")).filter((e) => e.key === captured.order.id).map((e) => e.payload as { refundId?: string; paymentId?: string });
      assert.deepEqual([...new Set(requested.map((payload) => payload.refundId))], [refunds![0]!.id], "one refund requested");
      assert.ok(requested.every((payload) => payload.paymentId === captured.paymentId));
      const after = (await h.store.findById(captured.order.id))!;
      assert.deepEqual([after.status, after.refundedAmount], ["CANCELLED", 2000]);
      // The hold went back with the cancel and stays so: the units were never sold.
      assert.equal(releasedFirst, "RELEASED");
      assert.equal(h.reservations.statusOf(captured.order.id), "RELEASED");
      for (const { order } of [never, inDoubt]) assert.equal((await h.store.findById(order.id))!.refundedAmount, 0, "nothing captured, nothing refunded");

      // The late confirmation, and later passes, ask for nothing more.
      await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, captured.order.id, { paymentId: captured.paymentId, orderId: captured.order.id, providerRef: "ref-late", attempts: 1 }));
      const again = await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.equal(again.cancelledRefunded, 0);
      assert.equal((await h.store.refundsOf([captured.order.id])).get(captured.order.id)!.length, 1);

      // A cancelled order placed longer ago than the watch is no longer read.
      const beyond = createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger, clock: () => new Date(Date.now() + CANCELLED_ORDER_WATCH_MS + 1_000) });
      assert.equal((await beyond.reconcileOnce({ afterMs: AFTER_MS })).cancelledExamined, 0);
    });

    it("asks again for a refund its RefundRequested never brought to payments, marks paid one whose PaymentRefunded was lost, and leaves one being paid alone", async () => {
      const as = (userId: string): RequestContext => ({ requestId: "test", identity: { userId, roles: ["customer"] }, logger: h.logger });
      /** A paid order its customer cancels: one refund of everything, promised here and announced once. */
      async function cancelledAfterPayment(userId: string) {
        const { order, paymentId } = await placeOrder(userId, 2);
        await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, order.id, { paymentId, orderId: order.id, providerRef: `ch-${userId}`, attempts: 1 }));
        assert.equal((await h.orders.cancel(as(userId), order.id)).status, "CANCELLED");
        const [refund] = (await h.store.refundsOf([order.id])).get(order.id)!;
        return { order, paymentId, refund: refund! };
      }
      const requestsOf = async (orderId: string) => (await h.outbox("RefundRequested")).filter((e) => e.key === orderId).map((e) => e.payload as Record<string, unknown>);
      // What the payments service recorded of a refund (the tables both services share).
      const recordAtPayments = (c: Awaited<ReturnType<typeof cancelledAfterPayment>>, status: "PENDING" | "SUCCEEDED") =>
        h.prisma.paymentRefund.create({
          data: { id: c.refund.id, paymentId: c.paymentId, userId: c.order.userId, amount: 2000, currency: "USD", status, providerIdempotencyKey: `refund-${c.refund.id}`, ...(status === "SUCCEEDED" && { providerRef: `re-${c.refund.id}`, refundedAt: new Date() }) },
        });
      const lost = await cancelledAfterPayment("u-refund-request-lost");
      const unheard = await cancelledAfterPayment("u-refund-outcome-lost");
      const paying = await cancelledAfterPayment("u-refund-being-paid");
      await recordAtPayments(unheard, "SUCCEEDED");
      await recordAtPayments(paying, "PENDING");
      for (const c of [lost, unheard, paying]) assert.equal((await requestsOf(c.order.id)).length, 1, "the cancel announced its refund once");

      // Within the threshold the request may still be on its way: nothing is asked again.
      const young = createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger });
      await young.reconcileOnce({ afterMs: AFTER_MS });
      assert.equal((await requestsOf(lost.order.id)).length, 1);

      const pass = await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.ok(pass.refundsRequestedAgain >= 1 && pass.refundsSettled >= 1, JSON.stringify(pass));
      assert.equal((await requestsOf(lost.order.id)).length, 2);
      const [first, again] = await requestsOf(lost.order.id);
      const asked = (payload: Record<string, unknown> | undefined) => [payload?.orderId, payload?.refundId, payload?.amount, payload?.currency];
      assert.deepEqual(asked(again), asked(first), "asked again for the same refund: its id and amount");
      assert.deepEqual(asked(again), [lost.order.id, lost.refund.id, 2000, "USD"]);
      assert.equal(again!.paymentId, lost.paymentId);
      const settled = (await h.store.findRefund(unheard.refund.id))!;
      assert.deepEqual([settled.status, settled.providerRef], ["SUCCEEDED", `re-${unheard.refund.id}`]);
      assert.equal((await h.store.findRefund(paying.refund.id))!.status, "PENDING");
      assert.equal((await requestsOf(paying.order.id)).length, 1, "a refund the payments service is paying is its own sweep's");
      assert.equal((await requestsOf(unheard.order.id)).length, 1);

      // Recorded at payments at last: no pass asks for it again.
      await recordAtPayments(lost, "PENDING");
      await reconciler().reconcileOnce({ afterMs: AFTER_MS });
      assert.equal((await requestsOf(lost.order.id)).length, 2);
      assert.equal((await h.store.findRefund(unheard.refund.id))!.status, "SUCCEEDED");
    });

    it("asks again for sold units a cancel, a full refund or an approved return promised back that the inventory never recorded, once each", async () => {
      const as = (userId: string, roles: Identity["roles"] = ["customer"]): RequestContext => ({ requestId: "test", identity: { userId, roles }, logger: h.logger });
      const admin = as("admin-stock", ["admin"]);
      async function paid(userId: string, quantity: number) {
        const { order, paymentId } = await placeOrder(userId, quantity);
        await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, order.id, { paymentId, orderId: order.id, providerRef: `ch-${userId}`, attempts: 1 }));
        return order;
      }
      // The inventory's tables both services share: the hold's fate, and the returns it applied.
      const holdIs = (order: { reservationId: string }, status: "COMMITTED" | "RELEASED") =>
        h.prisma.reservation.create({ data: { id: order.reservationId, status, expiresAt: new Date(Date.now() + 60_000) } });
      const recordAtInventory = (returnId: string) => h.prisma.stockReturn.create({ data: { id: returnId, items: [] } });
      const requestsOf = async (orderId: string) =>
        (await h.outbox("StockReturnRequested")).filter((e) => e.key === orderId).map((e) => e.payload as { returnId: string; orderId: string; items: { variantId: string; quantity: number }[] });

      const available = h.reservations.available("p1");
      const cancelled = await paid("u-stock-cancel-lost", 2);
      await holdIs(cancelled, "COMMITTED");
      await h.orders.cancel(as(cancelled.userId), cancelled.id);
      const refunded = await paid("u-stock-refund-lost", 3);
      await holdIs(refunded, "COMMITTED");
      await h.afterSale.refundOrder(admin, refunded.id, { reason: "Out of stock", idempotencyKey: "stock-refund" });
      assert.equal((await h.store.findById(refunded.id))!.status, "REFUNDED");
      const returned = await paid("u-stock-return-lost", 2);
      await h.orders.ship(admin, returned.id);
      await h.orders.deliver(admin, returned.id);
      const ret = await h.afterSale.requestReturn(as(returned.userId), returned.id, [{ variantId: "p1", quantity: 1 }], "Too big");
      await h.afterSale.approveReturn(admin, ret.id);
      // Not promised back (a hold released with the cancel), or recorded by the inventory already.
      const released = await placeOrder("u-stock-released", 1);
      await holdIs(released.order, "RELEASED");
      await h.orders.cancel(as(released.order.userId), released.order.id);
      const recorded = await paid("u-stock-recorded", 1);
      await holdIs(recorded, "COMMITTED");
      await h.orders.cancel(as(recorded.userId), recorded.id);
      await recordAtInventory(`cancel:${recorded.id}`);

      const promised = [
        { order: cancelled, returnId: `cancel:${cancelled.id}`, items: [{ variantId: "p1", quantity: 2 }] },
        { order: refunded, returnId: `refund:${refunded.id}`, items: [{ variantId: "p1", quantity: 3 }] },
        { order: returned, returnId: `return:${ret.id}`, items: [{ variantId: "p1", quantity: 1 }] },
      ];
      for (const { order, returnId, items } of promised) assert.deepEqual(await requestsOf(order.id), [{ returnId, orderId: order.id, items }], "the change announced its return once");
      const backOnce = h.reservations.available("p1");
      assert.equal(backOnce, available - 2 - 3 - 2 - 1 + 2 + 3 + 1 + 1, "each return applied once (the released hold came back with its cancel)");

      // Within the threshold the request may still be on its way: nothing is asked again.
      const young = createPendingOrderReconciler({ store: h.store, payments, handle: h.handlePaymentOutcome, logger: h.logger });
      await young.reconcileOnce({ afterMs: AFTER_MS });
      for (const { order } of promised) assert.equal((await requestsOf(order.id)).length, 1);

      const pass = await reconciler().reconcileOnce({ afterMs: AFTER_MS, batchSize: 1000 });
      for (const { order, returnId, items } of promised) {
        const [first, again] = await requestsOf(order.id);
        assert.deepEqual(again, first, `asked again for ${returnId}: the same id and units`);
        assert.deepEqual(again, { returnId, orderId: order.id, items });
      }
      assert.ok(pass.stockReturnsRequestedAgain >= 3, JSON.stringify(pass));
      assert.equal((await requestsOf(released.order.id)).length, 0, "a released hold was never sold: nothing to return");
      assert.equal((await requestsOf(recorded.id)).length, 1, "a return the inventory recorded is not asked again");
      // The inventory applies a return id once: asked twice, the units came back once.
      assert.equal(h.reservations.available("p1"), backOnce);

      // Recorded at the inventory at last: no pass asks for them again.
      for (const { returnId } of promised) await recordAtInventory(returnId);
      await reconciler().reconcileOnce({ afterMs: AFTER_MS, batchSize: 1000 });
      for (const { order } of promised) assert.equal((await requestsOf(order.id)).length, 2);
    });

    it("works off a backlog in batches, oldest first", async () => {
      const placed: Awaited<ReturnType<typeof placeOrder>>[] = [];
      for (let i = 0; i < 5; i++) placed.push(await placeOrder(`u-backlog-${i}`));
      for (const { order, paymentId } of placed) settle(order.id, paymentId, "SUCCEEDED");
      const first = await reconciler().reconcileOnce({ afterMs: AFTER_MS, batchSize: 2 });
      assert.equal(first.applied, 2);
      const firstBatch = new Set(asked.at(-1));
      assert.equal(firstBatch.size, 2);
      const placedAt = (ids: string[]) => ids.map((id) => placed.find(({ order }) => order.id === id)!.order.createdAt.getTime());
      const ids = placed.map(({ order }) => order.id);
      const newestTaken = Math.max(...placedAt(ids.filter((id) => firstBatch.has(id))));
      const oldestLeft = Math.min(...placedAt(ids.filter((id) => !firstBatch.has(id))));
      assert.ok(newestTaken <= oldestLeft, "the oldest orders are reconciled first");
      while ((await reconciler().reconcileOnce({ afterMs: AFTER_MS, batchSize: 2 })).examined > 0);
      for (const { order } of placed) assert.equal(await statusOf(order.id), "PAID");
    });
  });
}

defineReconcilerSuite("embedded");
describeWithRealEngine({ suite: "pending-order reconciler on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineReconcilerSuite("real"));
