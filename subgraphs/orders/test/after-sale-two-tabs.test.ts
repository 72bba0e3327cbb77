// Adversarial: two tabs of one customer (or two admins) racing at the after-sale caps. Whatever
// order the order's lock judges them in, the caps hold and nothing is refunded twice.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, newEvent, PaymentEventTypes, type Identity, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { MAX_ADMIN_REFUNDS_PER_ORDER, MAX_REFUNDS_PER_ORDER } from "../src/domain/refund-plan.js";
import { MAX_KEPT_RETURNS_PER_ORDER, MAX_RETURNS_PER_ORDER } from "../src/domain/return-rules.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

function defineTwoTabsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("after-sale caps under concurrent tabs on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 10_000, p2: 10_000, p5: 1_000 });
    });
    after(() => h.close());

    const logger = createLogger("silent");
    const as = (userId: string, roles: Identity["roles"] = ["customer"]): RequestContext => ({ requestId: "test", identity: { userId, roles }, logger });
    const admin = as("admin-1", ["admin"]);

    async function paidOrder(userId: string, lines: Record<string, number>, stage: "PAID" | "SHIPPED" | "DELIVERED") {
      for (const [variantId, quantity] of Object.entries(lines)) await h.addToCart(userId, variantId, quantity);
      const order = await h.checkout.checkout(userId, `key-${userId}-${Math.random()}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, order.id, { paymentId: payment.id, orderId: order.id, providerRef: "ch_1", attempts: 1 }));
      if (stage !== "PAID") await h.orders.ship(admin, order.id);
      if (stage === "DELIVERED") await h.orders.deliver(admin, order.id);
      return (await h.store.findById(order.id))!;
    }
    const refundsOf = async (orderId: string) => (await h.store.refundsOf([orderId])).get(orderId) ?? [];
    const returnsOf = async (orderId: string) => (await h.store.returnsOf([orderId])).get(orderId) ?? [];

    /** A delivered order of 10 × p1, 10 × p2, 2 × p5 with 19 kept returns of one unit each (the last still open): 1 × p2 and 2 × p5 left. */
    async function orderAtLastReturn(userId: string) {
      const order = await paidOrder(userId, { p1: 10, p2: 10, p5: 2 }, "DELIVERED");
      for (let n = 0; n < MAX_KEPT_RETURNS_PER_ORDER - 1; n++) {
        const asked = await h.afterSale.requestReturn(as(userId), order.id, [{ variantId: n < 10 ? "p1" : "p2", quantity: 1 }], "One at a time", `one-${n}`);
        // The last of them stays open: open returns count as kept as much as approved ones.
        if (n < MAX_KEPT_RETURNS_PER_ORDER - 2) await h.afterSale.approveReturn(admin, asked.id);
      }
      return order;
    }

    /** The invariants whatever the race's order: no unit in two kept returns, the list within its size, refunds within what was captured. */
    async function assertAfterSaleBounds(orderId: string, bought: Record<string, number>) {
      const returns = await returnsOf(orderId);
      assert.ok(returns.length <= MAX_RETURNS_PER_ORDER, `${returns.length} returns, the schema declares ${MAX_RETURNS_PER_ORDER}`);
      assert.ok(returns.filter((r) => r.status !== "REJECTED").length <= MAX_KEPT_RETURNS_PER_ORDER);
      const kept = new Map<string, number>();
      for (const r of returns.filter((r) => r.status !== "REJECTED")) for (const item of r.items) kept.set(item.variantId, (kept.get(item.variantId) ?? 0) + item.quantity);
      for (const [variantId, units] of kept) assert.ok(units <= (bought[variantId] ?? 0), `${units} × ${variantId} in kept returns of ${bought[variantId]} bought`);
      const order = (await h.store.findById(orderId))!;
      const refunds = await refundsOf(orderId);
      const sum = refunds.reduce((total, r) => total + r.amount.amount, 0);
      assert.equal(order.refundedAmount, sum, "the order's refunded amount is its refunds' sum");
      assert.ok(sum <= order.total.amount, `${sum} refunded of ${order.total.amount} captured`);
      assert.ok(refunds.length <= MAX_REFUNDS_PER_ORDER, `${refunds.length} refunds, the schema declares ${MAX_REFUNDS_PER_ORDER}`);
      // One refund per approved return at most: no unit is paid back twice.
      const byReturn = refunds.filter((r) => r.returnId !== null).map((r) => r.returnId);
      assert.equal(new Set(byReturn).size, byReturn.length, "a return refunded twice");
      return { order, refunds, returns, sum };
    }

    it("the last return raced by two tabs (every unit left vs fewer, different keys): the one taking every unit is accepted, the other refused, whatever the order; approved, the order is refunded exactly what it captured", async () => {
      const bought = { p1: 10, p2: 10, p5: 2 };
      for (let round = 0; round < 3; round++) {
        const userId = `u-last-race-${round}`;
        const order = await orderAtLastReturn(userId);
        const everything = [{ variantId: "p2", quantity: 1 }, { variantId: "p5", quantity: 2 }];
        const fewer = [{ variantId: "p5", quantity: 1 }];
        // The tabs' order alternates between rounds, so each is sent first once at least.
        const [all, some] =
          round % 2 === 0
            ? await Promise.allSettled([h.afterSale.requestReturn(as(userId), order.id, everything, "The rest", "tab-all"), h.afterSale.requestReturn(as(userId), order.id, fewer, "One more", "tab-some")])
            : await Promise.allSettled([h.afterSale.requestReturn(as(userId), order.id, fewer, "One more", "tab-some"), h.afterSale.requestReturn(as(userId), order.id, everything, "The rest", "tab-all")]).then(([b, a]) => [a!, b!]);
        assert.equal(all!.status, "fulfilled", `the return of every unit left is accepted: ${all!.status === "rejected" ? String(all!.reason) : ""}`);
        assert.equal(some!.status, "rejected", "a 20th return that leaves units behind is never accepted");
        // Judged first it is refused by the last-return rule (BAD_USER_INPUT); judged second its
        // unit is no longer returnable (QUANTITY_LIMIT_EXCEEDED). Either way it takes nothing.
        const code = codeOf((some as PromiseRejectedResult).reason);
        assert.ok(code === "BAD_USER_INPUT" || code === "QUANTITY_LIMIT_EXCEEDED", `refused with ${code}`);
        const { returns } = await assertAfterSaleBounds(order.id, bought);
        assert.equal(returns.length, MAX_KEPT_RETURNS_PER_ORDER);
        assert.deepEqual(returns.filter((r) => r.idempotencyKey === "tab-some"), [], "the refused tab left no return behind");
        // Every open return approved: each unit refunded once, all of it exactly what the goods cost.
        for (const r of returns.filter((r) => r.status === "REQUESTED")) await h.afterSale.approveReturn(admin, r.id);
        const settled = await assertAfterSaleBounds(order.id, bought);
        assert.equal(settled.refunds.filter((r) => r.returnId !== null).length, MAX_KEPT_RETURNS_PER_ORDER);
        assert.equal(settled.sum, 22 * 1000, "every one of the 22 units refunded once, at what it cost");
        // A further return of anything is refused: nothing is left and the kept cap is reached.
        await assert.rejects(h.afterSale.requestReturn(as(userId), order.id, [{ variantId: "p1", quantity: 1 }], "More", "tab-late"), (e) => ["BAD_USER_INPUT", "QUANTITY_LIMIT_EXCEEDED", "ILLEGAL_TRANSITION"].includes(codeOf(e)!));
        assert.ok((await returnsOf(order.id)).length <= MAX_RETURNS_PER_ORDER);
      }
    });

    it("the last return sent twice at once under one key (a double submit), with a third tab racing it: one return, both answers are it, the third refused", async () => {
      const userId = "u-last-double";
      const order = await orderAtLastReturn(userId);
      const everything = [{ variantId: "p5", quantity: 2 }, { variantId: "p2", quantity: 1 }];
      const [first, second, other] = await Promise.allSettled([
        h.afterSale.requestReturn(as(userId), order.id, everything, "The rest", "double-submit"),
        // The same request, its lines listed in another order: the same fingerprint.
        h.afterSale.requestReturn(as(userId), order.id, [...everything].reverse(), "The rest", "double-submit"),
        h.afterSale.requestReturn(as(userId), order.id, [{ variantId: "p2", quantity: 1 }], "Just this", "third-tab"),
      ]);
      assert.equal(first!.status, "fulfilled", String((first as PromiseRejectedResult).reason));
      assert.equal(second!.status, "fulfilled", String((second as PromiseRejectedResult).reason));
      const a = (first as PromiseFulfilledResult<Awaited<ReturnType<typeof h.afterSale.requestReturn>>>).value;
      const b = (second as PromiseFulfilledResult<Awaited<ReturnType<typeof h.afterSale.requestReturn>>>).value;
      assert.equal(a.id, b.id, "both answers name one return");
      assert.equal(other!.status, "rejected");
      assert.ok(["BAD_USER_INPUT", "QUANTITY_LIMIT_EXCEEDED"].includes(codeOf((other as PromiseRejectedResult).reason)!));
      const { returns } = await assertAfterSaleBounds(order.id, { p1: 10, p2: 10, p5: 2 });
      assert.equal(returns.filter((r) => r.idempotencyKey === "double-submit").length, 1);
      assert.equal(returns.length, MAX_KEPT_RETURNS_PER_ORDER);
      // Approved twice at once: refunded once.
      await Promise.all([h.afterSale.approveReturn(admin, a.id), h.afterSale.approveReturn(admin, a.id)]);
      const settled = await assertAfterSaleBounds(order.id, { p1: 10, p2: 10, p5: 2 });
      assert.equal(settled.refunds.filter((r) => r.returnId === a.id).length, 1);
      assert.equal(settled.refunds.find((r) => r.returnId === a.id)!.amount.amount, 3000);
    });

    it("two admin tabs at the admin-refund cap (8 partial refunds made): a 9th partial and the rest at once, in either order; the sum never exceeds what was captured and nothing is left out of reach", async () => {
      for (let round = 0; round < 2; round++) {
        const order = await paidOrder(`u-admin-race-${round}`, { p1: 10 }, "SHIPPED");
        for (let n = 0; n < MAX_ADMIN_REFUNDS_PER_ORDER - 1; n++) await h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: `partial-${n}` });
        const ninth = () => h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: "tab-partial" });
        const rest = () => h.afterSale.refundOrder(admin, order.id, { reason: "Parcel lost", idempotencyKey: "tab-rest" });
        const [partial, whole] = round === 0 ? await Promise.allSettled([ninth(), rest()]) : await Promise.allSettled([rest(), ninth()]).then(([r, p]) => [p!, r!]);
        // The rest is always allowed; a 9th partial never is (first: it is the last and not the
        // rest; second: the order is REFUNDED, nothing is left).
        assert.equal(whole!.status, "fulfilled", String((whole as PromiseRejectedResult).reason));
        assert.equal(partial!.status, "rejected");
        assert.ok(["BAD_USER_INPUT", "REFUND_LIMIT_EXCEEDED", "ILLEGAL_TRANSITION"].includes(codeOf((partial as PromiseRejectedResult).reason)!));
        const { refunds, sum, order: after } = await assertAfterSaleBounds(order.id, {});
        assert.equal(refunds.length, MAX_ADMIN_REFUNDS_PER_ORDER);
        assert.equal(sum, after.total.amount, "the rest is refunded: nothing captured left out of reach");
        assert.equal(after.status, "REFUNDED");
        // Each tab's retry answers as before: the rest once, the partial still refused.
        assert.equal((await rest()).id, (whole as PromiseFulfilledResult<{ id: string }>).value.id);
        await assert.rejects(ninth(), (e) => ["BAD_USER_INPUT", "REFUND_LIMIT_EXCEEDED", "ILLEGAL_TRANSITION"].includes(codeOf(e)!));
        assert.equal((await refundsOf(order.id)).length, MAX_ADMIN_REFUNDS_PER_ORDER);
      }
    });

    it("two admin tabs each sending a partial refund at 7 made: one becomes the 8th, the other is refused, and the rest stays refundable", async () => {
      const order = await paidOrder("u-admin-race-partials", { p1: 10 }, "SHIPPED");
      for (let n = 0; n < MAX_ADMIN_REFUNDS_PER_ORDER - 2; n++) await h.afterSale.refundOrder(admin, order.id, { amount: 100, reason: "Goodwill", idempotencyKey: `partial-${n}` });
      const outcomes = await Promise.allSettled([
        h.afterSale.refundOrder(admin, order.id, { amount: 300, reason: "Tab A", idempotencyKey: "tab-a" }),
        h.afterSale.refundOrder(admin, order.id, { amount: 200, reason: "Tab B", idempotencyKey: "tab-b" }),
      ]);
      assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1, "one becomes the 8th");
      assert.equal(codeOf((outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult).reason), "BAD_USER_INPUT");
      const { sum, order: now } = await assertAfterSaleBounds(order.id, {});
      assert.ok(sum < now.total.amount);
      const rest = await h.afterSale.refundOrder(admin, order.id, { reason: "The rest", idempotencyKey: "rest" });
      assert.equal(rest.amount.amount, now.total.amount - sum);
      const settled = await assertAfterSaleBounds(order.id, {});
      assert.equal(settled.sum, settled.order.total.amount);
      assert.equal(settled.refunds.length, MAX_ADMIN_REFUNDS_PER_ORDER);
    });
  });
}

defineTwoTabsSuite("embedded");
describeWithRealEngine({ suite: "after-sale caps under concurrent tabs on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineTwoTabsSuite("real"));
