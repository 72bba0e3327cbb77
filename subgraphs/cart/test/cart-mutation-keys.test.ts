/**
 * Cart changes sent again after their answer was lost (a flaky network, a gateway restart, the
 * typed client's own retry) or twice at once (a double click in two tabs), under one
 * idempotency key: each is made once, on the carts' real PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { productIdOfVariant } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, type DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaCartStore } from "../src/adapters/prisma-cart.store.js";
import { createCartService, type CartLookups } from "../src/domain/cart.service.js";
import type { CatalogVariant } from "../src/domain/cart.js";
import { guestCartOwner } from "../src/domain/cart-owner.js";
import { CART_MUTATION_KEYS_KEPT } from "../src/domain/cart-mutation-key.js";

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise;
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  assert.fail("expected a refusal");
};

function lookupsOver(prices: Map<string, number>, stock: Map<string, number>): CartLookups {
  const variant = (id: string): CatalogVariant | null => {
    const price = prices.get(id);
    return price === undefined ? null : { id, productId: productIdOfVariant(id), name: id, title: id, sku: id, options: [], price: { amount: price, currency: "USD" } };
  };
  return {
    variants: async (ids) => new Map(ids.map((id) => [id, variant(id)])),
    variantIdsOf: async (productId) => (prices.has(productId) ? [productId] : null),
    available: async (id) => stock.get(id) ?? 0,
  };
}

function defineCartMutationKeySuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("cart mutations under an idempotency key", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let prisma: PrismaClient;
    let drop: () => Promise<void>;
    let service: ReturnType<typeof createCartService>;
    const prices = new Map([["p1", 1000], ["p2", 500], ["scarce", 300]]);
    const stock = new Map([["p1", 100], ["p2", 100], ["scarce", 0]]);
    const lookups = lookupsOver(prices, stock);

    before(async () => {
      const database = await createTestDatabase(engine);
      drop = database.drop;
      prisma = createPrismaClient(database.url, { poolSize: 20 });
      service = createCartService({ store: createPrismaCartStore(prisma), limits: { maxQuantityPerLine: 50, maxLines: 10 } });
    });
    after(async () => {
      await prisma?.$disconnect();
      await drop?.();
    });

    const lines = async (owner: string) => (await service.view(owner, lookups)).lines.map((line) => [line.variantId, line.quantity, line.accepted.amount]);

    it("an add sent again after its answer was lost, and ten times at once, adds its units once", async () => {
      await service.add("c-add", { productId: "p1" }, 2, lookups, "add-1");
      const again = await service.add("c-add", { productId: "p1" }, 2, lookups, "add-1");
      assert.deepEqual(again.lines.map((line) => line.quantity), [2], "the repeat answers the cart as it is");
      await Promise.all(Array.from({ length: 10 }, () => service.add("c-add", { variantId: "p2" }, 3, lookups, "add-2")));
      assert.deepEqual(await lines("c-add"), [["p1", 2, 1000], ["p2", 3, 500]]);
      // A new click is a new key, and adds again, as asked.
      await service.add("c-add", { productId: "p1" }, 2, lookups, "add-3");
      assert.deepEqual(await lines("c-add"), [["p1", 4, 1000], ["p2", 3, 500]]);
    });

    it("a key reused for another request is IDEMPOTENCY_CONFLICT and changes nothing", async () => {
      await service.add("c-reuse", { productId: "p1" }, 1, lookups, "k");
      assert.equal(await codeOf(service.add("c-reuse", { productId: "p1" }, 5, lookups, "k")), "IDEMPOTENCY_CONFLICT");
      assert.equal(await codeOf(service.add("c-reuse", { productId: "p2" }, 1, lookups, "k")), "IDEMPOTENCY_CONFLICT");
      assert.equal(await codeOf(service.remove("c-reuse", { productId: "p1" }, lookups, "k")), "IDEMPOTENCY_CONFLICT");
      assert.deepEqual(await lines("c-reuse"), [["p1", 1, 1000]]);
      // Keys are the cart's own: another shopper's same key is theirs.
      await service.add("c-other", { productId: "p1" }, 5, lookups, "k");
      assert.deepEqual(await lines("c-other"), [["p1", 5, 1000]]);
    });

    it("a refused add writes no key: the same request sent again is judged again", async () => {
      assert.equal(await codeOf(service.add("c-refused", { productId: "scarce" }, 1, lookups, "scarce-1")), "OUT_OF_STOCK");
      stock.set("scarce", 5);
      await service.add("c-refused", { productId: "scarce" }, 1, lookups, "scarce-1");
      assert.deepEqual(await lines("c-refused"), [["scarce", 1, 300]]);
    });

    it("a removal sent again answers the cart, and leaves the line another tab put back since", async () => {
      await service.add("c-remove", { productId: "p1" }, 1, lookups, "a1");
      await service.remove("c-remove", { productId: "p1" }, lookups, "r1");
      await service.add("c-remove", { productId: "p1" }, 3, lookups, "a2"); // tab B
      const retried = await service.remove("c-remove", { productId: "p1" }, lookups, "r1");
      assert.deepEqual(retried.lines.map((line) => [line.variantId, line.quantity]), [["p1", 3]]);
      assert.deepEqual(await lines("c-remove"), [["p1", 3, 1000]]);
    });

    it("a quantity set sent again leaves another tab's edit made since", async () => {
      await service.add("c-update", { productId: "p1" }, 1, lookups);
      await service.update("c-update", { productId: "p1" }, 4, lookups, "u1");
      await service.update("c-update", { productId: "p1" }, 7, lookups, "u2"); // tab B
      await service.update("c-update", { productId: "p1" }, 4, lookups, "u1");
      assert.deepEqual(await lines("c-update"), [["p1", 7, 1000]]);
      // A set to 0 is a removal under the update's key.
      await service.update("c-update", { productId: "p1" }, 0, lookups, "u3");
      await service.add("c-update", { productId: "p1" }, 2, lookups, "a1");
      await service.update("c-update", { productId: "p1" }, 0, lookups, "u3");
      assert.deepEqual(await lines("c-update"), [["p1", 2, 1000]]);
    });

    it("accepting prices sent again accepts no price that moved since", async () => {
      await service.add("c-prices", { productId: "p2" }, 1, lookups);
      prices.set("p2", 550);
      await service.acceptPrices("c-prices", lookups, "accept-1");
      prices.set("p2", 600);
      const retried = await service.acceptPrices("c-prices", lookups, "accept-1");
      assert.equal(retried.lines[0]!.accepted.amount, 550);
      assert.deepEqual(await lines("c-prices"), [["p2", 1, 550]]);
      prices.set("p2", 500);
    });

    it("a repeat writes nothing: the cart keeps the order that took its lines", async () => {
      await service.add("c-order", { productId: "p1" }, 1, lookups, "before-order");
      await prisma.$executeRaw`DELETE FROM "CartItem" WHERE "userId" = 'c-order'`;
      await prisma.$executeRaw`UPDATE "Cart" SET "lastOrderId" = 'ord_taken' WHERE "userId" = 'c-order'`;
      await service.add("c-order", { productId: "p1" }, 1, lookups, "before-order");
      const cart = await service.view("c-order", lookups);
      assert.deepEqual([cart.lines.length, cart.lastOrderId], [0, "ord_taken"], "the add the order took is not made again");
    });

    it("an add sent again after its product left the catalog is answered as the repeat it is, not NOT_FOUND", async () => {
      prices.set("leaving", 250);
      stock.set("leaving", 5);
      await service.add("c-leaving", { productId: "leaving" }, 1, lookups, "leave-1");
      prices.delete("leaving");
      const retried = await service.add("c-leaving", { productId: "leaving" }, 1, lookups, "leave-1");
      assert.deepEqual(retried.unavailable, ["leaving"], "the line is there, shown as no longer sold");
      assert.equal(await codeOf(service.add("c-leaving", { productId: "leaving" }, 1, lookups, "leave-2")), "NOT_FOUND", "a new add of it is refused");
      assert.equal(await codeOf(service.add("c-leaving", { productId: "leaving" }, 2, lookups, "leave-1")), "IDEMPOTENCY_CONFLICT");
    });

    it("a guest's add whose answer was lost before signing in, sent again after it, is the add the merge brought", async () => {
      const guest = guestCartOwner("guest-retry");
      await service.add(guest, { productId: "p1" }, 2, lookups, "guest-add");
      await service.mergeGuest("guest-retry", "c-signed-in", lookups);
      const retried = await service.add("c-signed-in", { productId: "p1" }, 2, lookups, "guest-add");
      assert.deepEqual(retried.lines.map((line) => [line.variantId, line.quantity]), [["p1", 2]]);
      assert.equal(await codeOf(service.add("c-signed-in", { productId: "p1" }, 3, lookups, "guest-add")), "IDEMPOTENCY_CONFLICT");
      // A key the customer used already stays the customer's.
      await service.add("c-signed-in", { productId: "p2" }, 1, lookups, "both-used");
      await service.add(guestCartOwner("guest-two"), { productId: "p1" }, 1, lookups, "both-used");
      await service.mergeGuest("guest-two", "c-signed-in", lookups);
      await service.add("c-signed-in", { productId: "p2" }, 1, lookups, "both-used");
      assert.deepEqual(await lines("c-signed-in"), [["p1", 3, 1000], ["p2", 1, 500]]);
    });

    it("a cart keeps only its newest keys, however many changes it takes in a day, a merged guest's included", async () => {
      const keyOf = (i: number) => `many-${String(i).padStart(4, "0")}`;
      const changes = CART_MUTATION_KEYS_KEPT + 5;
      for (let i = 0; i < changes; i++) await service.acceptPrices("c-many", lookups, keyOf(i));
      const kept = async () => (await prisma.cartMutationKey.findMany({ where: { userId: "c-many" }, select: { key: true } })).map((row) => row.key).sort();
      assert.deepEqual(await kept(), Array.from({ length: CART_MUTATION_KEYS_KEPT }, (_, i) => keyOf(i + 5)), "the five oldest are pruned");
      // The newest is still a repeat; a guest's keys brought in at sign-in count too.
      assert.equal(await codeOf(service.add("c-many", { productId: "p1" }, 1, lookups, keyOf(changes - 1))), "IDEMPOTENCY_CONFLICT");
      await service.add(guestCartOwner("guest-many"), { productId: "p1" }, 1, lookups, "guest-newest");
      await service.mergeGuest("guest-many", "c-many", lookups);
      const merged = await kept();
      assert.equal(merged.length, CART_MUTATION_KEYS_KEPT);
      assert.ok(merged.includes("guest-newest") && !merged.includes(keyOf(5)), "the guest's newer key is kept, the cart's oldest pruned");
    });

    it("a key past its day is forgotten, whether or not a change since pruned it: the request under it is a new change", async () => {
      await service.add("c-day-old", { productId: "p1" }, 1, lookups, "day-old");
      await prisma.$executeRaw`UPDATE "CartMutationKey" SET "createdAt" = "createdAt" - interval '25 hours' WHERE "userId" = 'c-day-old'`;
      await service.add("c-day-old", { productId: "p1" }, 2, lookups, "day-old");
      assert.deepEqual(await lines("c-day-old"), [["p1", 3, 1000]], "another request under the day-old key is made, not IDEMPOTENCY_CONFLICT");
      await prisma.$executeRaw`UPDATE "CartMutationKey" SET "createdAt" = "createdAt" - interval '25 hours' WHERE "userId" = 'c-day-old'`;
      await service.add("c-day-old", { productId: "p1" }, 2, lookups, "day-old");
      assert.deepEqual(await lines("c-day-old"), [["p1", 5, 1000]], "the same request a day later is a new change, as the schema says");
      await service.add("c-day-old", { productId: "p1" }, 2, lookups, "day-old");
      assert.deepEqual(await lines("c-day-old"), [["p1", 5, 1000]], "and is recorded anew: its repeat changes nothing");
    });

    it("a key of more than 200 characters is refused before anything is written", async () => {
      assert.equal(await codeOf(service.add("c-long", { productId: "p1" }, 1, lookups, "k".repeat(201))), "BAD_USER_INPUT");
      assert.deepEqual(await lines("c-long"), []);
    });

    it("a key that is empty or holds NUL or control characters is refused on every keyed mutation, and changes nothing", async () => {
      await service.add("c-bad-key", { productId: "p1" }, 2, lookups);
      for (const bad of ["", "a\u0000b", "tab\there", "line\nbreak", "\u007f", "c1\u0085control"]) {
        assert.equal(await codeOf(service.add("c-bad-key", { productId: "p1" }, 1, lookups, bad)), "BAD_USER_INPUT", `add under ${JSON.stringify(bad)}`);
        assert.equal(await codeOf(service.update("c-bad-key", { productId: "p1" }, 5, lookups, bad)), "BAD_USER_INPUT", `update under ${JSON.stringify(bad)}`);
        assert.equal(await codeOf(service.remove("c-bad-key", { productId: "p1" }, lookups, bad)), "BAD_USER_INPUT", `remove under ${JSON.stringify(bad)}`);
        assert.equal(await codeOf(service.acceptPrices("c-bad-key", lookups, bad)), "BAD_USER_INPUT", `acceptPrices under ${JSON.stringify(bad)}`);
      }
      assert.deepEqual(await lines("c-bad-key"), [["p1", 2, 1000]]);
    });
  });
}

defineCartMutationKeySuite("embedded");
describeWithRealEngine({ suite: "cart mutations under an idempotency key", engine: "postgresql", variable: "DATABASE_URL" }, () => defineCartMutationKeySuite("real"));
