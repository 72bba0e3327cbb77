import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, guestCartIdOf, issueGuestCartToken, productIdOfVariant } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, type DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaCartStore } from "../src/adapters/prisma-cart.store.js";
import { createCartService, type CartLookups } from "../src/domain/cart.service.js";
import { guestCartOwner } from "../src/domain/cart-owner.js";
import type { CatalogVariant } from "../src/domain/cart.js";
import { startGuestCartSweep } from "../src/guest-cart-sweep.js";

const SECRET = "guest-cart-tests-secret-0123456789";
const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

/** Catalog and stock in memory; the carts in a real, freshly migrated PostgreSQL. */
function lookupsOver(prices: Map<string, number>, stock: Map<string, number>): CartLookups {
  const variant = (id: string): CatalogVariant | null => {
    const amount = prices.get(id);
    return amount === undefined ? null : { id, productId: productIdOfVariant(id), name: id, title: id, sku: id, options: [], price: { amount, currency: "USD" } };
  };
  return {
    variants: async (ids) => new Map(ids.map((id) => [id, variant(id)])),
    variantIdsOf: async (productId) => (prices.has(productId) ? [productId] : null),
    available: async (id) => stock.get(id) ?? 0,
  };
}

function defineGuestCartSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("guest carts on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let prisma: PrismaClient;
    let drop: () => Promise<void>;
    const prices = new Map([["p1", 1000], ["p2", 500], ["p3", 700], ["p4", 300]]);
    const stock = new Map([["p1", 100], ["p2", 100], ["p3", 4], ["p4", 100]]);
    const lookups = lookupsOver(prices, stock);
    let service: ReturnType<typeof createCartService>;
    const store = () => createPrismaCartStore(prisma);

    before(async () => {
      const database = await createTestDatabase(engine);
      drop = database.drop;
      prisma = createPrismaClient(database.url, { poolSize: 20 });
      service = createCartService({ store: store(), limits: { maxQuantityPerLine: 10, maxLines: 50 } });
    });
    after(async () => {
      await prisma.$disconnect();
      await drop();
    });

    const newGuest = () => guestCartIdOf(issueGuestCartToken(SECRET));
    const lines = async (owner: string) => (await service.view(owner, lookups)).lines.map((l) => [l.variantId, l.quantity]);

    it("keeps each guest's cart apart from every other guest's and customer's, and marks it a guest cart", async () => {
      const [a, b] = [newGuest(), newGuest()];
      await service.add(guestCartOwner(a), { productId: "p1" }, 2, lookups);
      await service.add(guestCartOwner(b), { productId: "p2" }, 1, lookups);
      await service.add("cust-apart", { productId: "p4" }, 1, lookups);
      assert.deepEqual(await lines(guestCartOwner(a)), [["p1", 2]]);
      assert.deepEqual(await lines(guestCartOwner(b)), [["p2", 1]]);
      assert.deepEqual(await lines("cust-apart"), [["p4", 1]]);
      const rows = await prisma.cart.findMany({ where: { userId: { in: [guestCartOwner(a), "cust-apart"] } }, select: { userId: true, guest: true } });
      assert.deepEqual(new Map(rows.map((r) => [r.userId, r.guest])), new Map([[guestCartOwner(a), true], ["cust-apart", false]]));
    });

    it("merges at sign-in: quantities add up within the limit and stock, the guest cart is gone, a moved price needs accepting", async () => {
      const guest = newGuest();
      await service.add(guestCartOwner(guest), { productId: "p1" }, 7, lookups);
      await service.add(guestCartOwner(guest), { productId: "p3" }, 3, lookups);
      await service.add(guestCartOwner(guest), { productId: "p2" }, 1, lookups);
      await service.add("cust-merge", { productId: "p1" }, 6, lookups);
      await service.add("cust-merge", { productId: "p3" }, 2, lookups);
      prices.set("p2", 650);
      try {
        const plan = await service.mergeGuest(guest, "cust-merge", lookups);
        // p1: 6 + 7 capped at 10; p3: 2 + 3 capped at its stock of 4; p2 comes over whole.
        assert.deepEqual([plan?.mergedUnits, plan?.droppedUnits], [4 + 2 + 1, 3 + 1]);
        const merged = await service.view("cust-merge", lookups);
        // A line brought over keeps the time the guest added it (lines list in the order they were added).
        assert.deepEqual(new Map(merged.lines.map((l) => [l.variantId, l.quantity])), new Map([["p1", 10], ["p3", 4], ["p2", 1]]));
        const p2 = merged.lines.find((l) => l.variantId === "p2")!;
        assert.deepEqual([p2.accepted.amount, p2.current.amount], [500, 650], "the guest accepted 500; the cart shows the change");
        assert.deepEqual(await lines(guestCartOwner(guest)), []);
        assert.equal(await prisma.cart.count({ where: { userId: guestCartOwner(guest) } }), 0, "the guest cart row is deleted");
        const accepted = await service.acceptPrices("cust-merge", lookups);
        assert.ok(accepted.lines.every((l) => l.accepted.amount === l.current.amount));
      } finally {
        prices.set("p2", 500);
      }
    });

    it("adds a guest cart once when the same token merges again, or into someone else", async () => {
      const guest = newGuest();
      await service.add(guestCartOwner(guest), { productId: "p4" }, 2, lookups);
      assert.equal((await service.mergeGuest(guest, "cust-twice", lookups))?.mergedUnits, 2);
      assert.equal(await service.mergeGuest(guest, "cust-twice", lookups), null);
      assert.equal(await service.mergeGuest(guest, "cust-other", lookups), null);
      assert.deepEqual(await lines("cust-twice"), [["p4", 2]]);
      assert.deepEqual(await lines("cust-other"), []);
    });

    it("adds a guest cart once under 20 concurrent merges of its token, into one customer or several", async () => {
      const guest = newGuest();
      await service.add(guestCartOwner(guest), { productId: "p4" }, 3, lookups);
      await service.add(guestCartOwner(guest), { productId: "p2" }, 1, lookups);
      await service.add("cust-race-0", { productId: "p4" }, 1, lookups);
      const customers = Array.from({ length: 20 }, (_, i) => `cust-race-${i % 4}`);
      const results = await Promise.all(customers.map((c) => service.mergeGuest(guest, c, lookups)));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, "exactly one merge took the guest cart");
      assert.deepEqual([winners[0]!.mergedUnits, winners[0]!.droppedUnits], [4, 0]);
      const totals = await Promise.all([0, 1, 2, 3].map(async (i) => (await service.view(`cust-race-${i}`, lookups)).lines.reduce((n, l) => n + l.quantity, 0)));
      assert.equal(totals.reduce((a, b) => a + b), 1 + 4, "the guest's 4 units arrived once, beside the customer's own unit");
    });

    it("does not lose a customer's concurrent cart changes while a merge runs", async () => {
      const guest = newGuest();
      await service.add(guestCartOwner(guest), { productId: "p1" }, 1, lookups);
      await Promise.all([
        service.mergeGuest(guest, "cust-busy", lookups),
        ...Array.from({ length: 5 }, () => service.add("cust-busy", { productId: "p2" }, 1, lookups)),
      ]);
      const held = new Map((await service.view("cust-busy", lookups)).lines.map((l) => [l.variantId, l.quantity]));
      assert.deepEqual(held, new Map([["p1", 1], ["p2", 5]]));
    });

    it("keeps the customer's coupon over the guest's, and brings the guest's to a cart without one", async () => {
      const [first, second] = [newGuest(), newGuest()];
      await service.add(guestCartOwner(first), { productId: "p1" }, 1, lookups);
      await service.add(guestCartOwner(second), { productId: "p1" }, 1, lookups);
      await prisma.cart.updateMany({ where: { userId: { in: [guestCartOwner(first), guestCartOwner(second)] } }, data: { couponCode: "GUEST10" } });
      await service.mergeGuest(first, "cust-no-coupon", lookups);
      await service.add("cust-coupon", { productId: "p2" }, 1, lookups);
      await prisma.cart.update({ where: { userId: "cust-coupon" }, data: { couponCode: "MINE20" } });
      await service.mergeGuest(second, "cust-coupon", lookups);
      const coupons = await prisma.cart.findMany({ where: { userId: { in: ["cust-no-coupon", "cust-coupon"] } }, select: { userId: true, couponCode: true } });
      assert.deepEqual(new Map(coupons.map((c) => [c.userId, c.couponCode])), new Map([["cust-no-coupon", "GUEST10"], ["cust-coupon", "MINE20"]]));
    });

    it("applies 10 concurrent adds to one guest cart one after the other, losing none", async () => {
      const guest = guestCartOwner(newGuest());
      await Promise.all(Array.from({ length: 10 }, () => service.add(guest, { productId: "p4" }, 1, lookups)));
      assert.deepEqual(await lines(guest), [["p4", 10]]);
    });

    it("merges nothing for a token whose cart was never written, and refuses a hostile quantity as before", async () => {
      assert.equal(await service.mergeGuest(newGuest(), "cust-none", lookups), null);
      assert.deepEqual(await lines("cust-none"), []);
      await assert.rejects(service.add(guestCartOwner(newGuest()), { productId: "p1" }, 11, lookups), (error) => codeOf(error) === "QUANTITY_LIMIT_EXCEEDED");
      await assert.rejects(service.add(guestCartOwner(newGuest()), { productId: "p1" }, -1, lookups), (error) => codeOf(error) === "BAD_USER_INPUT");
    });

    it("sweeps guest carts idle past the TTL, never customers' carts nor recent guest carts", async () => {
      const [idle, fresh] = [newGuest(), newGuest()];
      await service.add(guestCartOwner(idle), { productId: "p1" }, 1, lookups);
      await service.add(guestCartOwner(fresh), { productId: "p1" }, 1, lookups);
      await service.add("cust-idle", { productId: "p1" }, 1, lookups);
      const longAgo = new Date(Date.now() - 40 * 86_400_000);
      await prisma.cart.updateMany({ where: { userId: { in: [guestCartOwner(idle), "cust-idle"] } }, data: { updatedAt: longAgo } });
      const sweep = startGuestCartSweep({ store: store(), ttlSeconds: 30 * 86_400, logger: createLogger("silent"), batchSize: 1, pollMs: 3_600_000 });
      await sweep.stop();
      assert.equal(await prisma.cart.count({ where: { userId: guestCartOwner(idle) } }), 0);
      assert.equal(await prisma.cartItem.count({ where: { userId: guestCartOwner(idle) } }), 0, "its lines went with it");
      assert.deepEqual(await lines(guestCartOwner(fresh)), [["p1", 1]]);
      assert.deepEqual(await lines("cust-idle"), [["p1", 1]]);
      // A sweep racing a guest's write never fails the write: the cart is written again.
      await prisma.cart.updateMany({ where: { userId: guestCartOwner(fresh) }, data: { updatedAt: longAgo } });
      const racing = startGuestCartSweep({ store: store(), ttlSeconds: 30 * 86_400, logger: createLogger("silent"), pollMs: 3_600_000 });
      await service.add(guestCartOwner(fresh), { productId: "p2" }, 1, lookups);
      await racing.stop();
      const after = await lines(guestCartOwner(fresh));
      assert.ok(after.some(([id]) => id === "p2"), JSON.stringify(after));
    });
  });
}

defineGuestCartSuite("embedded");
describeWithRealEngine({ suite: "guest carts on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineGuestCartSuite("real"));
