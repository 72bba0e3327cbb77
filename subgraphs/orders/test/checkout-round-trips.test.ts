import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { queriesSentDuring as roundTrips } from "../../../test/support/sent-queries.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { checkoutRequest, TEST_ADDRESS, TEST_SHIPPING_METHOD_ID } from "./support/checkout-defaults.js";

/**
 * What a checkout costs PostgreSQL before the order's own statement: the cart, the key's order
 * and the quote's pricing data in one round trip when the address is typed at checkout (its
 * destination known before anything is read), the pricing apart only when a saved address must
 * be looked up first. The stock reservation is in memory here: the counts are orders' and cart's.
 */
function defineRoundTripSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("checkout's round trips to PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine);
      await h.prisma.taxRate.create({ data: { countryCode: "US", region: "IL", category: "", rateBasisPoints: 1000 } });
      await h.prisma.coupon.create({ data: { id: "cpn_trips", code: "TRIPS", type: "FIXED_AMOUNT", value: 500, currency: "USD", minSubtotalAmount: 0, active: true } });
    });
    after(() => h.close());

    it("places an order to a typed address in two round trips: the cart, the key and the pricing read together, then the order", async () => {
      await h.addToCart("typed", "p1", 2);
      let order: Awaited<ReturnType<typeof h.checkout.checkout>> | undefined;
      const sent = await roundTrips(async () => (order = await h.checkout.checkout("typed", checkoutRequest("typed-1", { couponCode: "trips" }))));
      assert.equal(sent, 2, "one read and orders_place (it was four: the cart, the key, the pricing, the order)");
      // Priced as the quote prices it: 2 x 1000, 500 off, 10% tax of the rest, free shipping.
      assert.deepEqual(order!.total, { amount: 1650, currency: "USD" });
      assert.deepEqual([order!.discountTotal.amount, order!.taxTotal.amount, order!.couponCode], [500, 150, "TRIPS"]);
      assert.equal((await h.prisma.coupon.findUniqueOrThrow({ where: { code: "TRIPS" } })).redeemedCount, 1);
    });

    it("answers a repeated key from the same single read, with the order it placed", async () => {
      await h.addToCart("again", "p2", 1);
      const first = await h.checkout.checkout("again", checkoutRequest("again-1"));
      let repeat: typeof first | undefined;
      const sent = await roundTrips(async () => (repeat = await h.checkout.checkout("again", checkoutRequest("again-1"))));
      assert.equal(sent, 1, "the cart, the key's order and the pricing in one round trip, nothing else");
      assert.equal(repeat!.id, first.id);
    });

    it("refuses a coupon that does not apply as before, having read it with the cart", async () => {
      await h.addToCart("nocoupon", "p3", 1);
      await assert.rejects(h.checkout.checkout("nocoupon", checkoutRequest("nc-1", { couponCode: "NO-SUCH" })), (error) => (error as { extensions?: { code?: string } }).extensions?.code === "COUPON_INVALID");
      assert.equal((await h.cartOf("nocoupon")).lines.length, 1, "the cart is kept");
    });

    it("reads the pricing apart only for a saved address, whose destination the address book tells: three round trips", async () => {
      h.saveAddress("saved", "adr_home", { ...TEST_ADDRESS, line2: null, phone: null });
      await h.addToCart("saved", "p1", 1);
      let order: Awaited<ReturnType<typeof h.checkout.checkout>> | undefined;
      const sent = await roundTrips(async () => (order = await h.checkout.checkout("saved", { idempotencyKey: "saved-1", shippingAddressId: "adr_home", shippingMethodId: TEST_SHIPPING_METHOD_ID })));
      assert.equal(sent, 3, "the cart with the key, the pricing, the order (it was four)");
      assert.deepEqual(order!.total, { amount: 1100, currency: "USD" });
    });
  });
}

defineRoundTripSuite("embedded");
describeWithRealEngine({ suite: "checkout's round trips to PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineRoundTripSuite("real"));
