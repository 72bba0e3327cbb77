import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_CART_LINES } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaPricingStore } from "../../cart/src/adapters/prisma-pricing.store.js";
import { createPricingAdminService } from "../../cart/src/pricing/pricing-admin.service.js";
import { orderIdFor } from "../src/domain/checkout.service.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { checkoutRequest } from "./support/checkout-defaults.js";
import { guestCartOwner } from "../../cart/src/domain/cart-owner.js";
import { planGuestCartMerge } from "../../cart/src/domain/guest-cart-merge.js";

const extensionsOf = (error: unknown) => (error as { extensions?: Record<string, unknown> }).extensions ?? {};

/**
 * One cart checked out from two tabs with different keys: the tab that loses is told which
 * order took its cart (CART_EMPTY with orderId), whatever check it failed first. The other
 * tab's order took the coupon's last use or the last units, so COUPON_INVALID or OUT_OF_STOCK
 * would send the customer to fix a cart that is already bought.
 */
function defineTwoTabsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("one cart checked out from two tabs", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let h: CheckoutHarness;
    let admin: ReturnType<typeof createPricingAdminService>;
    // The losing tab's checkout stops at this step until the other tab's checkout has answered.
    let held: { orderId: string; step: "reserve" | "place"; reached: () => void; release: Promise<void> } | undefined;
    const pause = (step: "reserve" | "place") => async (orderId: string) => {
      if (held?.orderId !== orderId || held.step !== step) return;
      held.reached();
      await held.release;
    };

    before(async () => {
      h = await startCheckoutHarness(engine, { last: 1, plenty: 100 }, { beforeReserve: pause("reserve"), beforePlace: pause("place") });
      admin = createPricingAdminService({ store: createPrismaPricingStore(h.prisma) });
    });
    after(() => h.close());

    /** Tab B reads the cart, stops at `step`, tab A checks out, `between` runs, then tab B goes on. */
    async function twoTabs(userId: string, step: "reserve" | "place", couponCode?: string, between?: () => Promise<void>) {
      let reached!: () => void;
      let release!: () => void;
      const bReached = new Promise<void>((resolve) => (reached = resolve));
      held = { orderId: orderIdFor(userId, "tab-b"), step, reached, release: new Promise<void>((resolve) => (release = resolve)) };
      const tabB = h.checkout.checkout(userId, checkoutRequest("tab-b", couponCode ? { couponCode } : {})).then(
        () => assert.fail("tab B must lose: tab A bought the cart"),
        (error: unknown) => error,
      );
      await bReached;
      const orderA = await h.checkout.checkout(userId, checkoutRequest("tab-a", couponCode ? { couponCode } : {}));
      await between?.();
      release();
      return { orderA, refusal: await tabB };
    }

    it("the tab that finds the last unit held by the other tab's order is told CART_EMPTY naming that order", async () => {
      await h.addToCart("last-unit", "last", 1);
      const { orderA, refusal } = await twoTabs("last-unit", "reserve");
      assert.deepEqual(extensionsOf(refusal), { code: "CART_EMPTY", orderId: orderA.id }, String(refusal));
      assert.equal(h.reservations.available("last"), 0, "the unit stays with tab A's order");
      assert.equal(await h.prisma.order.count({ where: { userId: "last-unit" } }), 1);
    });

    it("the tab that finds the coupon's last use taken by the other tab's order is told CART_EMPTY naming that order, its hold given back", async () => {
      await admin.createCoupon({ code: "ONCE", type: "PERCENTAGE", value: 1000, usageLimit: 1 });
      await h.addToCart("coupon", "plenty", 2);
      const before = h.reservations.available("plenty");
      const { orderA, refusal } = await twoTabs("coupon", "place", "once");
      assert.deepEqual(extensionsOf(refusal), { code: "CART_EMPTY", orderId: orderA.id }, String(refusal));
      assert.equal(orderA.couponCode, "ONCE");
      assert.equal(h.reservations.available("plenty"), before - 2, "only tab A's units are held");
      assert.equal(await h.prisma.order.count({ where: { userId: "coupon" } }), 1);
    });

    it("the tab whose priced line was bought by the other tab and then put back (a guest cart merged at sign-in, the item added again) places nothing: one order, the line stays in the cart", async () => {
      const price = { amount: 1000, currency: "USD" };
      const putBack = {
        // A third tab signs in: the guest cart's same line (same quantity, same price) lands in the cart tab A just emptied.
        "merged from a guest cart": async (userId: string) => {
          const guest = guestCartOwner(`guest-of-${userId}`);
          await h.cartStore.changeLine(guest, "plenty", () => ({ variantId: "plenty", productId: "plenty", quantity: 1, accepted: price, addedAt: new Date(Date.now() - 60_000) }));
          const variant = { id: "plenty", productId: "plenty", name: "Product plenty", title: "Product plenty", sku: "SKU-plenty", options: [], price, category: "general" };
          const facts = { variants: new Map([["plenty", variant]]), available: new Map([["plenty", 100]]) };
          assert.ok(await h.cartStore.mergeGuestCart(guest, userId, (g, c) => planGuestCartMerge(g, c, facts, { maxQuantityPerLine: 10, maxLines: MAX_CART_LINES })));
        },
        "added again": (userId: string) => h.addToCart(userId, "plenty", 1),
      };
      for (const [how, again] of Object.entries(putBack)) {
        const userId = `put-back-${how.split(" ")[0]}`;
        await h.addToCart(userId, "plenty", 1);
        const before = h.reservations.available("plenty");
        const { orderA, refusal } = await twoTabs(userId, "place", undefined, () => again(userId));
        assert.equal(extensionsOf(refusal).code, "CART_CHANGED", `${how}: ${String(refusal)}`);
        assert.equal(await h.prisma.order.count({ where: { userId } }), 1, `${how}: one click bought one order`);
        assert.deepEqual((await h.cartOf(userId)).lines.map((l) => [l.variantId, l.quantity]), [["plenty", 1]], `${how}: the line put back is still in the cart`);
        assert.equal(h.reservations.available("plenty"), before - 1, `${how}: only tab A's unit is held`);
        assert.equal(orderA.total.amount, 1000);
      }
    });

    /** Tab A checks out and stops at `step` with its cart priced; `edit` runs (another tab), then tab A goes on. */
    async function checkoutAround(userId: string, step: "reserve" | "place", edit: () => Promise<void>) {
      let reached!: () => void;
      let release!: () => void;
      const aReached = new Promise<void>((resolve) => (reached = resolve));
      held = { orderId: orderIdFor(userId, "tab-a"), step, reached, release: new Promise<void>((resolve) => (release = resolve)) };
      const tabA = h.checkout.checkout(userId, checkoutRequest("tab-a")).then(
        (order) => ({ order }),
        (error: unknown) => ({ error }),
      );
      await aReached;
      await edit();
      release();
      return tabA;
    }

    it("a line another tab adds while the checkout is placing is neither bought nor lost: the order charges what was priced, the new line stays in the cart, unheld", async () => {
      for (const step of ["reserve", "place"] as const) {
        const userId = `added-mid-checkout-${step}`;
        await h.addToCart(userId, "plenty", 2);
        const [plentyBefore, lastBefore] = [h.reservations.available("plenty"), h.reservations.available("last")];
        const outcome = await checkoutAround(userId, step, () => h.addToCart(userId, "last", 1));
        assert.ok("order" in outcome, `${step}: ${String((outcome as { error?: unknown }).error)}`);
        const items = (await h.store.itemsOf([outcome.order.id])).get(outcome.order.id) ?? [];
        assert.deepEqual(items.map((item) => [item.variantId, item.quantity]), [["plenty", 2]], `${step}: the order holds what was priced`);
        assert.equal(outcome.order.subtotal.amount, 2 * items[0]!.unitPrice.amount, `${step}: and charges for it alone`);
        assert.deepEqual((await h.cartOf(userId)).lines.map((l) => [l.variantId, l.quantity]), [["last", 1]], `${step}: the line added meanwhile is still in the cart`);
        assert.equal(h.reservations.available("plenty"), plentyBefore - 2, `${step}: the order's units held once`);
        assert.equal(h.reservations.available("last"), lastBefore, `${step}: the line not bought holds nothing`);
        assert.equal(await h.prisma.order.count({ where: { userId } }), 1);
      }
    });

    it("a quantity another tab raises while the checkout is placing is not bought at the old quantity: CART_CHANGED, nothing held, no order, the raised line kept", async () => {
      const userId = "raised-mid-checkout";
      await h.addToCart(userId, "plenty", 1);
      const before = h.reservations.available("plenty");
      const outcome = await checkoutAround(userId, "place", () => h.addToCart(userId, "plenty", 2));
      assert.ok("error" in outcome, "tab A placed an order for a line changed under it");
      assert.equal(extensionsOf(outcome.error).code, "CART_CHANGED", String(outcome.error));
      assert.equal(await h.prisma.order.count({ where: { userId } }), 0);
      assert.equal(h.reservations.available("plenty"), before, "tab A's hold went back");
      assert.deepEqual((await h.cartOf(userId)).lines.map((l) => [l.variantId, l.quantity]), [["plenty", 3]]);
    });

    it("a customer whose own cart is still there is told the coupon is used up, as before", async () => {
      await admin.createCoupon({ code: "GONE", type: "PERCENTAGE", value: 1000, usageLimit: 1 });
      await h.addToCart("first", "plenty", 1);
      await h.checkout.checkout("first", checkoutRequest("k", { couponCode: "gone" }));
      await h.addToCart("second", "plenty", 1);
      await assert.rejects(h.checkout.checkout("second", checkoutRequest("k", { couponCode: "gone" })), (error) => extensionsOf(error).code === "COUPON_INVALID");
    });
  });
}

/** A cart filled past an order's size (a limit lowered since, a write that bypassed it) is never bought as it is. */
describe("checkout of a cart over an order's line limit", () => {
  it("refuses it with BAD_USER_INPUT naming how many lines to remove, holding nothing", async () => {
    const stock = Object.fromEntries(Array.from({ length: MAX_CART_LINES + 1 }, (_, n) => [`line${n}`, 10]));
    const h = await startCheckoutHarness("embedded", stock);
    try {
      for (const variantId of Object.keys(stock)) await h.addToCart("hoarder", variantId, 1);
      await assert.rejects(h.checkout.checkout("hoarder", checkoutRequest("k")), (error) => extensionsOf(error).code === "BAD_USER_INPUT" && /remove 1 from the cart/.test(String(error)));
      assert.ok(Object.keys(stock).every((variantId) => h.reservations.available(variantId) === 10), "nothing held");
      assert.equal(await h.prisma.order.count({ where: { userId: "hoarder" } }), 0);
    } finally {
      await h.close();
    }
  });
});

defineTwoTabsSuite("embedded");
describeWithRealEngine({ suite: "one cart checked out from two tabs", engine: "postgresql", variable: "DATABASE_URL" }, () => defineTwoTabsSuite("real"));
