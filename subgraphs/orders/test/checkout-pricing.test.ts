import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newEvent, PaymentEventTypes, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaPricingStore } from "../../cart/src/adapters/prisma-pricing.store.js";
import { createPricingAdminService } from "../../cart/src/pricing/pricing-admin.service.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { checkoutRequest, TEST_ADDRESS } from "./support/checkout-defaults.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;
const reasonOf = (error: unknown) => (error as { extensions?: { reason?: string } }).extensions?.reason;

function definePricingSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("checkout with address, shipping, tax and coupons on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 120_000 }, () => {
    let h: CheckoutHarness;
    let admin: ReturnType<typeof createPricingAdminService>;
    let express: string;
    // What another tab does while a checkout's order is being placed (after it priced the cart).
    let whilePlacing: () => Promise<void> = async () => {};
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 10_000, p2: 100, p3: 100 }, { beforePlace: () => whilePlacing() });
      admin = createPricingAdminService({ store: createPrismaPricingStore(h.prisma) });
      express = (await admin.createShippingMethod({ name: "Express", price: 1500, currency: "USD", countries: ["US", "CA"], freeOver: 20_000, minDeliveryDays: 1, maxDeliveryDays: 2 })).id;
      await admin.setTaxRate({ countryCode: "US", rateBasisPoints: 500 });
      await admin.setTaxRate({ countryCode: "US", region: "IL", rateBasisPoints: 1000 });
    });
    after(() => h.close());

    const as = (userId: string): RequestContext => ({ requestId: "test", identity: { userId, roles: ["customer"] }, logger: h.logger });
    const outboxFor = async (orderId: string, type: string) => (await h.outbox(type)).filter((e) => e.key === orderId);
    const redeemed = async (code: string) => (await h.prisma.coupon.findUniqueOrThrow({ where: { code } })).redeemedCount;

    it("charges subtotal - discount + shipping + tax, computed here, and keeps the address, method and coupon with the order", async () => {
      await admin.createCoupon({ code: "tenoff", type: "PERCENTAGE", value: 1000 });
      await h.addToCart("pat", "p1", 2);
      await h.addToCart("pat", "p2", 1);
      const order = await h.checkout.checkout("pat", checkoutRequest("pat-1", { shippingMethodId: express, couponCode: "TenOff", paymentMethod: "pm_card_visa" }));
      // 3000 - 300 (10 %) + 1500 shipping + 270 tax (10 % in IL, on 2700: 180 + 90).
      assert.deepEqual(
        [order.subtotal.amount, order.discountTotal.amount, order.shippingTotal.amount, order.taxTotal.amount, order.total.amount],
        [3000, 300, 1500, 270, 4470],
      );
      const stored = (await h.store.findById(order.id))!;
      assert.deepEqual(stored.shippingAddress, { ...TEST_ADDRESS, line2: null, phone: null });
      assert.deepEqual(stored.shippingMethod, { id: express, name: "Express", price: { amount: 1500, currency: "USD" } });
      assert.equal(stored.couponCode, "TENOFF");
      assert.deepEqual(stored.total, { amount: 4470, currency: "USD" });
      assert.equal((await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } })).amount, 4470, "the payment is for the new total");
      const [requested] = await outboxFor(order.id, "PaymentRequested");
      assert.deepEqual((requested!.payload as { amount: number; paymentMethod?: string }).amount, 4470);
      assert.equal((requested!.payload as { paymentMethod?: string }).paymentMethod, "pm_card_visa", "the payment method travels with the charge");
      assert.equal(await redeemed("TENOFF"), 1);
    });

    it("refuses a checkout whose total is not the one the customer was shown (a tax rate set since the estimate), holding and charging nothing", async () => {
      await h.addToCart("tess", "p2", 1);
      // Shown: 1000 + 10 % Illinois tax, free shipping. Then the state's rate goes to 50 %.
      const shown = 1100;
      await admin.setTaxRate({ countryCode: "US", region: "IL", rateBasisPoints: 5000 });
      try {
        const available = h.reservations.available("p2");
        await assert.rejects(h.checkout.checkout("tess", checkoutRequest("tess-1", { expectedTotal: shown })), (e: any) => {
          assert.deepEqual([codeOf(e), e.extensions?.expectedTotal, e.extensions?.total], ["PRICE_CHANGED", 1100, { amount: 1500, currency: "USD" }]);
          return true;
        });
        assert.equal(h.reservations.available("p2"), available, "nothing was held");
        assert.equal(await h.prisma.order.count({ where: { userId: "tess" } }), 0, "nothing was placed or charged");
        const order = await h.checkout.checkout("tess", checkoutRequest("tess-2", { expectedTotal: 1500 }));
        assert.equal(order.total.amount, 1500, "the new total, once the customer was shown it");
        assert.deepEqual((await h.checkout.checkout("tess", checkoutRequest("tess-2", { expectedTotal: 1500 }))).id, order.id, "a retry of the key is answered with its order");
      } finally {
        await admin.setTaxRate({ countryCode: "US", region: "IL", rateBasisPoints: 1000 });
      }
    });

    it("says what changed the total: a line whose product left the catalog since the estimate, else a rate, shipping or the coupon", async () => {
      await h.addToCart("una", "p2", 1);
      await h.addToCart("una", "p3", 1);
      let shown = 0;
      await assert.rejects(h.checkout.checkout("una", checkoutRequest("una-1", { expectedTotal: 1 })), (e: any) => {
        assert.equal(codeOf(e), "PRICE_CHANGED");
        assert.match(e.message, /not the 1 you were shown: a tax rate, a shipping price or the coupon changed since the estimate/);
        assert.equal(e.extensions?.unavailable, undefined);
        shown = e.extensions.total.amount;
        return true;
      });
      const restore = h.removeFromCatalog("p3");
      try {
        await assert.rejects(h.checkout.checkout("una", checkoutRequest("una-2", { expectedTotal: shown })), (e: any) => {
          assert.equal(codeOf(e), "PRICE_CHANGED");
          assert.match(e.message, new RegExp(`not the ${shown} you were shown: a product in your cart can no longer be bought \\(variant p3\\) and is left out of the order`));
          assert.doesNotMatch(e.message, /rate/);
          assert.deepEqual(e.extensions?.unavailable, ["p3"]);
          assert.ok(e.extensions.total.amount < shown);
          return true;
        });
      } finally {
        restore();
      }
    });

    it("places one order for two tabs checking out at once, one shown a stale total, with their own keys or one key", async () => {
      // Shown: 1000 + 10 % Illinois tax. One tab shows 999 (a stale page), the other 1100.
      for (const [user, keys] of [["tabs-two-keys", ["k-right", "k-stale"]], ["tabs-one-key", ["k-same", "k-same"]]] as const) {
        await h.addToCart(user, "p2", 1);
        const settled = await Promise.allSettled([
          h.checkout.checkout(user, checkoutRequest(keys[0], { expectedTotal: 1100 })),
          h.checkout.checkout(user, checkoutRequest(keys[1], { expectedTotal: 999 })),
        ]);
        const orders = await h.prisma.order.findMany({ where: { userId: user } });
        assert.deepEqual(orders.map((order) => order.totalAmount), [1100], `${user}: one order, at the total a tab showed`);
        // The tab shown the stale total is never handed the order, under its own key or the other's: it charges 1100.
        assert.equal(settled[1].status, "rejected", `${user}: the stale tab`);
        for (const outcome of settled) {
          if (outcome.status === "fulfilled") assert.equal(outcome.value.id, orders[0]!.id, user);
          else assert.ok(["PRICE_CHANGED", "CART_EMPTY"].includes(codeOf(outcome.reason)!), `${user}: ${codeOf(outcome.reason)}`);
        }
      }
    });

    it("ships to a saved address by id, and answers NOT_FOUND for an id the customer does not have", async () => {
      h.saveAddress("sam", "adr_1", { ...TEST_ADDRESS, region: "NY", postalCode: "10001", line2: null, phone: null });
      await h.addToCart("sam", "p1", 1);
      const byId = { idempotencyKey: "sam-1", shippingAddressId: "adr_1", shippingMethodId: express };
      await assert.rejects(h.checkout.checkout("sam", { ...byId, shippingAddressId: "adr_someone_elses" }), (e) => codeOf(e) === "NOT_FOUND");
      const order = await h.checkout.checkout("sam", byId);
      assert.equal(order.taxTotal.amount, 50, "NY has no rate of its own: the country's 5 %");
      assert.equal(order.shippingAddress?.region, "NY");
    });

    it("answers a retry of a checkout to a saved address edited or removed since (on another device) with its order; the key names that address id, a new key the address as it is now", async () => {
      const home = { ...TEST_ADDRESS, line2: null, phone: null };
      h.saveAddress("ada", "adr_home", home);
      h.saveAddress("ada", "adr_work", home);
      await h.addToCart("ada", "p1", 1);
      const request = { idempotencyKey: "ada-1", shippingAddressId: "adr_home", shippingMethodId: express };
      const order = await h.checkout.checkout("ada", request);
      h.saveAddress("ada", "adr_home", { ...home, line1: "2 Other Street" });
      const afterEdit = await h.checkout.checkout("ada", request);
      assert.deepEqual([afterEdit.id, afterEdit.shippingAddress?.line1], [order.id, home.line1], "the order, shipping where it was placed to");
      h.removeAddress("ada", "adr_home");
      assert.equal((await h.checkout.checkout("ada", request)).id, order.id, "after the address was removed too");
      assert.equal((await h.checkout.checkout("ada", { ...request, expectedTotal: order.total.amount })).id, order.id);
      await assert.rejects(h.checkout.checkout("ada", { ...request, expectedTotal: order.total.amount + 1 }), (e) => codeOf(e) === "PRICE_CHANGED");
      await assert.rejects(h.checkout.checkout("ada", { ...request, shippingAddressId: "adr_work" }), (e) => codeOf(e) === "IDEMPOTENCY_CONFLICT", "another address id under the key");
      await assert.rejects(h.checkout.checkout("ada", { ...request, paymentMethod: "pm_card_visa" }), (e) => codeOf(e) === "NOT_FOUND", "another request to the removed address");
      await assert.rejects(h.checkout.checkout("ada", { ...request, idempotencyKey: "ada-2" }), (e) => codeOf(e) === "NOT_FOUND", "a new key to the removed address");
      assert.equal(await h.prisma.order.count({ where: { userId: "ada" } }), 1);
    });

    it("taxes a US address by its state however the state is spelled, refuses one it cannot tell, and asks for a saved one it cannot tell to be fixed", async () => {
      await h.addToCart("rita", "p1", 1);
      const typed = (key: string, region: string | undefined) => checkoutRequest(key, { shippingAddress: { ...TEST_ADDRESS, region } });
      for (const region of ["I L", "Illinoise", "US", "ZZ", undefined, " "]) {
        await assert.rejects(h.checkout.checkout("rita", typed(`rita-${region}`, region)), (e: any) => {
          assert.deepEqual([codeOf(e), e.extensions?.field], ["BAD_USER_INPUT", "region"], JSON.stringify(region));
          assert.match(e.message, /region must be a US state, district or territory: its ISO 3166-2 code such as IL/);
          return true;
        });
      }
      h.saveAddress("rita", "adr_odd", { ...TEST_ADDRESS, region: "IL\u200b", line2: null, phone: null });
      await assert.rejects(h.checkout.checkout("rita", { idempotencyKey: "rita-saved", shippingAddressId: "adr_odd", shippingMethodId: express }), (e: any) => {
        assert.deepEqual([codeOf(e), e.extensions?.addressId, e.extensions?.field], ["ADDRESS_NEEDS_UPDATE", "adr_odd", "region"]);
        assert.match(e.message, /updateAddress/);
        return true;
      });
      // Saved before postal codes were held to their region: Illinois's ZIP code beside Oregon.
      h.saveAddress("rita", "adr_zip", { ...TEST_ADDRESS, region: "OR", line2: null, phone: null });
      await assert.rejects(h.checkout.checkout("rita", { idempotencyKey: "rita-zip", shippingAddressId: "adr_zip", shippingMethodId: express }), (e: any) => {
        assert.deepEqual([codeOf(e), e.extensions?.addressId, e.extensions?.field], ["ADDRESS_NEEDS_UPDATE", "adr_zip", "postalCode"]);
        return true;
      });
      assert.equal(await h.prisma.order.count({ where: { userId: "rita" } }), 0, "nothing was placed");

      for (const [key, region] of [["rita-name", "Illinois"], ["rita-fullwidth", "\uff29\uff2c"], ["rita-iso", "us-il"]] as const) {
        if (key !== "rita-name") await h.addToCart("rita", "p1", 1);
        const order = await h.checkout.checkout("rita", typed(key, region));
        assert.equal(order.taxTotal.amount, 100, `${region}: Illinois' 10 % on 1000`);
        assert.equal(order.shippingAddress?.region, "IL", "the order keeps the state's code");
      }
      h.saveAddress("rita", "adr_named", { ...TEST_ADDRESS, region: "illinois", line2: null, phone: null });
      await h.addToCart("rita", "p1", 1);
      const saved = await h.checkout.checkout("rita", { idempotencyKey: "rita-named", shippingAddressId: "adr_named", shippingMethodId: express });
      assert.deepEqual([saved.taxTotal.amount, saved.shippingAddress?.region], [100, "IL"], "a saved state name is read as its code");
    });

    it("refuses bad destinations and hostile arguments with coded errors, writing nothing", async () => {
      await h.addToCart("vic", "p1", 1);
      const attempts: [Parameters<CheckoutHarness["checkout"]["checkout"]>[1], string][] = [
        [{ idempotencyKey: "v1", shippingMethodId: express }, "BAD_USER_INPUT"],
        [{ idempotencyKey: "v1", shippingAddressId: "adr_1", shippingAddress: TEST_ADDRESS, shippingMethodId: express }, "BAD_USER_INPUT"],
        [checkoutRequest("v1", { shippingMethodId: "shp_nope" }), "NOT_FOUND"],
        [checkoutRequest("v1", { shippingMethodId: "x".repeat(100_000) }), "NOT_FOUND"],
        [checkoutRequest("v1", { shippingAddress: { ...TEST_ADDRESS, country: "FR" } }), "SHIPPING_UNAVAILABLE"],
        [checkoutRequest("v1", { shippingAddress: { ...TEST_ADDRESS, line1: "x".repeat(100_000) } }), "BAD_USER_INPUT"],
        [checkoutRequest("v1", { shippingAddress: { ...TEST_ADDRESS, city: "Spring\u0000field" } }), "BAD_USER_INPUT"],
        [checkoutRequest("v1", { shippingAddress: { ...TEST_ADDRESS, country: "United States" } }), "BAD_USER_INPUT"],
        [checkoutRequest("v1", { paymentMethod: "pm card; DROP TABLE" }), "BAD_USER_INPUT"],
        [checkoutRequest("v1", { paymentMethod: "x".repeat(65) }), "BAD_USER_INPUT"],
        [checkoutRequest("v1", { couponCode: "NO-SUCH-COUPON" }), "COUPON_INVALID"],
        [checkoutRequest("v1", { couponCode: "x".repeat(100_000) }), "BAD_USER_INPUT"],
      ];
      for (const [request, code] of attempts) {
        await assert.rejects(h.checkout.checkout("vic", request), (e) => codeOf(e) === code, `${JSON.stringify(request).slice(0, 120)} -> ${code}`);
      }
      assert.equal(await h.prisma.order.count({ where: { userId: "vic" } }), 0);
      assert.equal((await h.cartOf("vic")).lines.length, 1);
    });

    it("refuses a coupon in another currency, and one below its minimum, at checkout, and one not launched yet as a code that does not exist", async () => {
      await admin.createCoupon({ code: "EUROS", type: "FIXED_AMOUNT", value: 500, currency: "EUR" });
      await admin.createCoupon({ code: "BIGSPENDER", type: "FIXED_AMOUNT", value: 500, currency: "USD", minimumSubtotal: 100_000 });
      await h.addToCart("cur", "p1", 1);
      await assert.rejects(h.checkout.checkout("cur", checkoutRequest("c1", { couponCode: "euros" })), (e) => reasonOf(e) === "CURRENCY_MISMATCH");
      await assert.rejects(h.checkout.checkout("cur", checkoutRequest("c2", { couponCode: "bigspender" })), (e) => reasonOf(e) === "MINIMUM_NOT_MET");
      await admin.createCoupon({ code: "LAUNCH50", type: "PERCENTAGE", value: 5000, startsAt: "2099-01-01T00:00:00Z" });
      await assert.rejects(h.checkout.checkout("cur", checkoutRequest("c3", { couponCode: "launch50" })), (e) => reasonOf(e) === "UNKNOWN");
    });

    it("treats the same key with another address, method or coupon as IDEMPOTENCY_CONFLICT, also once the cart is empty", async () => {
      await h.addToCart("ida", "p1", 1);
      const first = await h.checkout.checkout("ida", checkoutRequest("ida-1"));
      assert.equal((await h.checkout.checkout("ida", checkoutRequest("ida-1"))).id, first.id, "a retry is the same order");
      for (const other of [{ shippingMethodId: express }, { shippingAddress: { ...TEST_ADDRESS, line1: "2 Main Street" } }, { couponCode: "TENOFF" }]) {
        await assert.rejects(h.checkout.checkout("ida", checkoutRequest("ida-1", other)), (e) => codeOf(e) === "IDEMPOTENCY_CONFLICT", JSON.stringify(other));
      }
      assert.equal(await h.prisma.order.count({ where: { userId: "ida" } }), 1);
    });

    it("treats the same key with another payment method as IDEMPOTENCY_CONFLICT and with a shown total other than its order's as PRICE_CHANGED; a retry as sent is the same order", async () => {
      await h.addToCart("ivo", "p2", 1);
      const first = await h.checkout.checkout("ivo", checkoutRequest("ivo-1", { paymentMethod: "pm_card_visa", expectedTotal: 1100 }));
      assert.equal(first.total.amount, 1100);
      assert.equal((await h.checkout.checkout("ivo", checkoutRequest("ivo-1", { paymentMethod: "pm_card_visa", expectedTotal: 1100 }))).id, first.id, "a retry is the same order");
      assert.equal((await h.checkout.checkout("ivo", checkoutRequest("ivo-1", { paymentMethod: "pm_card_visa" }))).id, first.id, "a retry without the shown total too");
      // The first call's card is the one charged: a retry naming another (or none) was not it.
      for (const other of [{ paymentMethod: "pm_card_mastercard" }, { paymentMethod: null }]) {
        await assert.rejects(h.checkout.checkout("ivo", checkoutRequest("ivo-1", other)), (e) => codeOf(e) === "IDEMPOTENCY_CONFLICT", JSON.stringify(other));
      }
      // A tab shown another total is told what the key's order charges, not handed it.
      await assert.rejects(h.checkout.checkout("ivo", checkoutRequest("ivo-1", { paymentMethod: "pm_card_visa", expectedTotal: 900 })), (e: any) => {
        assert.deepEqual([codeOf(e), e.extensions?.orderId, e.extensions?.total?.amount], ["PRICE_CHANGED", first.id, 1100]);
        return true;
      });
      // A key first used without a method keeps answering as before.
      await h.addToCart("ivo", "p2", 1);
      const plain = await h.checkout.checkout("ivo", checkoutRequest("ivo-2"));
      assert.equal((await h.checkout.checkout("ivo", checkoutRequest("ivo-2"))).id, plain.id);
      await assert.rejects(h.checkout.checkout("ivo", checkoutRequest("ivo-2", { paymentMethod: "pm_card_visa" })), (e) => codeOf(e) === "IDEMPOTENCY_CONFLICT");
      assert.equal(await h.prisma.order.count({ where: { userId: "ivo" } }), 2);
    });

    it("places one order when two tabs send one key with two cards at once: the other tab is told IDEMPOTENCY_CONFLICT, never handed the order", async () => {
      for (let round = 0; round < 5; round++) {
        const user = `tabs-${round}`;
        await h.addToCart(user, "p2", 1);
        const cards = ["pm_card_visa", "pm_card_mastercard"];
        const results = await Promise.allSettled(cards.map((paymentMethod) => h.checkout.checkout(user, checkoutRequest(`${user}-k`, { paymentMethod }))));
        const placed = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ order: r.value, card: cards[i]! }] : []));
        const refused = results.flatMap((r) => (r.status === "rejected" ? [codeOf(r.reason)] : []));
        assert.equal(placed.length, 1, `round ${round}: ${JSON.stringify(refused)}`);
        assert.deepEqual(refused, ["IDEMPOTENCY_CONFLICT"]);
        assert.equal(await h.prisma.order.count({ where: { userId: user } }), 1);
        // The card that placed it is the one its retries must name.
        const { order, card } = placed[0]!;
        assert.equal((await h.checkout.checkout(user, checkoutRequest(`${user}-k`, { paymentMethod: card }))).id, order.id);
      }
    });

    it("uses the cart's coupon when none is given, and takes it off the cart with the order", async () => {
      await admin.createCoupon({ code: "CARTCODE", type: "FIXED_AMOUNT", value: 250, currency: "USD" });
      await h.addToCart("cara", "p1", 1);
      await h.prisma.cart.update({ where: { userId: "cara" }, data: { couponCode: "CARTCODE" } });
      const order = await h.checkout.checkout("cara", checkoutRequest("cara-1"));
      assert.equal(order.discountTotal.amount, 250);
      assert.equal(order.couponCode, "CARTCODE");
      assert.equal((await h.prisma.cart.findUniqueOrThrow({ where: { userId: "cara" } })).couponCode, null);
    });

    it("takes off the cart only the coupon its order redeemed: one the checkout named instead stays, and so does one applied in another tab while the order was placed", async () => {
      await admin.createCoupon({ code: "KEPTONCART", type: "FIXED_AMOUNT", value: 300, currency: "USD" });
      await admin.createCoupon({ code: "NAMEDATCHECKOUT", type: "FIXED_AMOUNT", value: 100, currency: "USD" });
      const cartCoupon = async (userId: string) => (await h.prisma.cart.findUniqueOrThrow({ where: { userId } })).couponCode;

      // A code given at checkout is used instead of the cart's, which the order never touched.
      await h.addToCart("cole", "p1", 1);
      await h.prisma.cart.update({ where: { userId: "cole" }, data: { couponCode: "KEPTONCART" } });
      const named = await h.checkout.checkout("cole", checkoutRequest("cole-1", { couponCode: "namedAtCheckout" }));
      assert.equal(named.couponCode, "NAMEDATCHECKOUT");
      assert.equal(named.discountTotal.amount, 100);
      assert.equal(await cartCoupon("cole"), "KEPTONCART", "the cart's own coupon, unused, is still there");
      await h.addToCart("cole", "p1", 1);
      assert.equal((await h.checkout.checkout("cole", checkoutRequest("cole-2"))).discountTotal.amount, 300, "and the next order gets it");
      assert.equal(await cartCoupon("cole"), null, "that order used it: it is off the cart");

      // Tab B checks out with the cart's coupon; tab A applies another after B priced the cart.
      await h.addToCart("tess", "p1", 1);
      await h.prisma.cart.update({ where: { userId: "tess" }, data: { couponCode: "NAMEDATCHECKOUT" } });
      whilePlacing = async () => {
        whilePlacing = async () => {};
        await h.prisma.cart.update({ where: { userId: "tess" }, data: { couponCode: "KEPTONCART" } });
      };
      const priced = await h.checkout.checkout("tess", checkoutRequest("tess-1"));
      assert.equal(priced.couponCode, "NAMEDATCHECKOUT", "the order uses the coupon it was priced with");
      assert.equal(await cartCoupon("tess"), "KEPTONCART", "tab A's coupon, applied after, stays for the next order");
    });

    it("200 concurrent checkouts by different customers against a coupon limited to 50: exactly 50 discounted orders, the others COUPON_INVALID with their holds released", async () => {
      await admin.createCoupon({ code: "FIFTY", type: "PERCENTAGE", value: 2000, usageLimit: 50 });
      const customers = Array.from({ length: 200 }, (_, i) => `rush-${i}`);
      for (const userId of customers) await h.addToCart(userId, "p1", 1);
      const stockBefore = h.reservations.available("p1");
      const results = await Promise.allSettled(customers.map((userId) => h.checkout.checkout(userId, checkoutRequest(`${userId}-k`, { couponCode: "fifty" }))));
      const placed = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      assert.equal(placed.length, 50);
      assert.ok(placed.every((o) => o.discountTotal.amount === 200 && o.couponCode === "FIFTY"));
      assert.equal(refused.length, 150);
      assert.ok(refused.every((e) => codeOf(e) === "COUPON_INVALID" && reasonOf(e) === "USAGE_LIMIT_REACHED"), String(refused.find((e) => reasonOf(e) !== "USAGE_LIMIT_REACHED")));
      assert.equal(await redeemed("FIFTY"), 50);
      assert.equal(await h.prisma.couponRedemption.count({ where: { coupon: { code: "FIFTY" } } }), 50);
      assert.equal(h.reservations.available("p1"), stockBefore - 50, "refused checkouts gave their holds back");
      const losers = customers.filter((_, i) => results[i]!.status === "rejected");
      assert.equal((await h.cartOf(losers[0]!)).lines.length, 1, "a refused customer keeps the cart");
    });

    it("holds a per-customer limit of 1 across orders and against 20 concurrent checkouts of one customer", async () => {
      await admin.createCoupon({ code: "ONCE", type: "FIXED_AMOUNT", value: 100, currency: "USD", perCustomerLimit: 1 });
      await h.addToCart("olga", "p1", 1);
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => h.checkout.checkout("olga", checkoutRequest(`olga-${i}`, { couponCode: "ONCE" }))));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, "one cart, one order");
      await h.addToCart("olga", "p2", 1);
      await assert.rejects(h.checkout.checkout("olga", checkoutRequest("olga-again", { couponCode: "ONCE" })), (e) => reasonOf(e) === "CUSTOMER_LIMIT_REACHED");
      assert.equal(await redeemed("ONCE"), 1);
      // Another customer still may.
      await h.addToCart("otto", "p1", 1);
      assert.equal((await h.checkout.checkout("otto", checkoutRequest("otto-1", { couponCode: "ONCE" }))).discountTotal.amount, 100);
    });

    it("gives the coupon use back when the order is cancelled or its payment fails, once", async () => {
      await admin.createCoupon({ code: "LASTONE", type: "PERCENTAGE", value: 500, usageLimit: 1 });
      await h.addToCart("cyd", "p1", 1);
      const cancelled = await h.checkout.checkout("cyd", checkoutRequest("cyd-1", { couponCode: "LASTONE" }));
      assert.equal(await redeemed("LASTONE"), 1);
      await h.orders.cancel(as("cyd"), cancelled.id);
      assert.equal(await redeemed("LASTONE"), 0, "the cancel gave it back");

      await h.addToCart("fay", "p1", 1);
      const failing = await h.checkout.checkout("fay", checkoutRequest("fay-1", { couponCode: "LASTONE" }));
      assert.equal(await redeemed("LASTONE"), 1);
      const paymentId = (await h.prisma.payment.findFirstOrThrow({ where: { orderId: failing.id } })).id;
      const declined = newEvent(PaymentEventTypes.failed, failing.id, { paymentId, orderId: failing.id, reason: "Card declined", attempts: 1 });
      await h.handlePaymentOutcome(declined);
      await h.handlePaymentOutcome(declined);
      assert.equal(await redeemed("LASTONE"), 0, "the failed payment gave it back, once");
      assert.equal(await h.prisma.couponRedemption.count({ where: { coupon: { code: "LASTONE" }, releasedAt: null } }), 0);
    });

    it("gives the coupon use back when a PAID order is refunded in full before it ships, as a cancel does; not for a shipped one", async () => {
      await admin.createCoupon({ code: "UNSHIPPED", type: "PERCENTAGE", value: 500, usageLimit: 1 });
      const adminCtx: RequestContext = { requestId: "test", identity: { userId: "admin-1", roles: ["admin"] }, logger: h.logger };
      const paid = async (userId: string) => {
        await h.addToCart(userId, "p1", 2);
        const order = await h.checkout.checkout(userId, checkoutRequest(`${userId}-1`, { couponCode: "UNSHIPPED" }));
        const paymentId = (await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } })).id;
        await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, order.id, { paymentId, orderId: order.id, providerRef: "ch_1", attempts: 1 }));
        return order;
      };
      const unshipped = await paid("rafe");
      assert.equal(await redeemed("UNSHIPPED"), 1);
      // In two steps: a partial refund changes nothing, the rest ends the order REFUNDED from PAID.
      await h.afterSale.refundOrder(adminCtx, unshipped.id, { amount: 100, reason: "Late", idempotencyKey: "part" });
      assert.equal(await redeemed("UNSHIPPED"), 1);
      await h.afterSale.refundOrder(adminCtx, unshipped.id, { reason: "Out of stock at the warehouse", idempotencyKey: "rest" });
      assert.equal((await h.store.findById(unshipped.id))!.status, "REFUNDED");
      assert.equal(await redeemed("UNSHIPPED"), 0, "nothing shipped: the use is back");
      assert.equal(await h.prisma.couponRedemption.count({ where: { coupon: { code: "UNSHIPPED" }, releasedAt: null } }), 0);

      const shipped = await paid("sian");
      await h.orders.ship(adminCtx, shipped.id);
      await h.afterSale.refundOrder(adminCtx, shipped.id, { reason: "Parcel lost", idempotencyKey: "all" });
      assert.equal((await h.store.findById(shipped.id))!.status, "REFUNDED");
      assert.equal(await redeemed("UNSHIPPED"), 1, "a shipped order kept its use");
    });
  });
}

definePricingSuite("embedded");
describeWithRealEngine({ suite: "checkout pricing", engine: "postgresql", variable: "DATABASE_URL" }, () => definePricingSuite("real"));
