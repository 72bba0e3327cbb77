import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { Prisma } from "#kernel/relational";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { orderByIdStatement } from "../src/adapters/prisma-order.store.js";
import { IdempotencyKeyTaken } from "../src/ports/order-store.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { lineAddedAt } from "./support/checkout-defaults.js";
import { partitionScans, type PlanNode } from "./support/partition-scans.js";

function definePartitionSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("orders partitioned by customer", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    before(async () => {
      h = await startCheckoutHarness(engine);
    });
    after(() => h.close());

    // Bound values, as the store sends them: PostgreSQL plans with them, so it can prune.
    async function plan(statement: Prisma.Sql, analyze = false): Promise<PlanNode> {
      const explain = Prisma.sql`EXPLAIN (${Prisma.raw(analyze ? "ANALYZE, TIMING OFF, " : "")}FORMAT JSON) ${statement}`;
      const [row] = await h.prisma.$queryRaw<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(explain);
      return row!["QUERY PLAN"][0].Plan;
    }

    async function placeOrder(userId: string, key = `key-${randomUUID()}`) {
      await h.addToCart(userId, "p1", 1);
      return h.checkout.checkout(userId, key);
    }

    it("keeps a customer's orders, lines and status history in one partition of each table, the same one", async () => {
      for (const userId of ["part-ann", "part-ben", "part-cid"]) {
        await placeOrder(userId);
        await placeOrder(userId);
        const rows = await h.prisma.$queryRaw<{ table: string }[]>`
          SELECT DISTINCT tableoid::regclass::text AS table FROM "Order" WHERE "userId" = ${userId}
          UNION SELECT DISTINCT tableoid::regclass::text FROM "OrderItem" WHERE "userId" = ${userId}
          UNION SELECT DISTINCT tableoid::regclass::text FROM "OrderStatusChange" WHERE "userId" = ${userId}`;
        const suffixes = new Set(rows.map((r) => r.table.replace(/^"?[A-Za-z]+_p(\d+)"?$/, "$1")));
        assert.equal(rows.length, 3, `one partition per table: ${rows.map((r) => r.table).join(", ")}`);
        assert.equal(suffixes.size, 1, `the same remainder in each table: ${rows.map((r) => r.table).join(", ")}`);
      }
    });

    it("plans a customer's latest orders, their lines and history on that customer's partition only", async () => {
      const order = await placeOrder("part-dee");
      const history = await plan(Prisma.sql`SELECT * FROM "Order" WHERE "userId" = ${"part-dee"} ORDER BY "createdAt" DESC, id DESC LIMIT 21`);
      assert.equal(partitionScans(history, "Order").length, 1);
      const items = await plan(Prisma.sql`SELECT * FROM "OrderItem" WHERE "userId" = ANY(${["part-dee"]}::text[]) AND "orderId" = ANY(${[order.id]}::text[])`);
      assert.equal(partitionScans(items, "OrderItem").length, 1);
      // The store's history read goes through it too.
      assert.equal((await h.store.historyOf([order.id])).get(order.id)?.length, 1);
      assert.equal((await h.store.itemsOf([order.id])).get(order.id)?.length, 1);
    });

    it("finds an order by id alone (a payment event, an admin) reading one partition, through its locator", async () => {
      const order = await placeOrder("part-eve");
      const scans = partitionScans(await plan(orderByIdStatement(order.id), true), "Order");
      assert.equal(scans.length, 16, "every partition is in the plan; all but one are pruned when it runs");
      assert.deepEqual(scans.filter((s) => (s.loops ?? 0) > 0).length, 1, JSON.stringify(scans));
      assert.equal((await h.store.findById(order.id))?.userId, "part-eve");
    });

    it("reads no partition at all for a forged or hostile order id", async () => {
      const real = await placeOrder("part-fay");
      const forged = [`ord_${"0".repeat(32)}`, real.id.toUpperCase(), `${real.id}' OR '1'='1`, "x".repeat(10_000), "ord_\u0000\u202e", "%", ""];
      for (const id of forged) {
        const scans = partitionScans(await plan(orderByIdStatement(id.replaceAll("\u0000", "")), true), "Order");
        assert.deepEqual(scans.filter((s) => (s.loops ?? 0) > 0), [], `no partition scanned for ${JSON.stringify(id.slice(0, 40))}`);
        assert.equal(await h.store.findById(id.replaceAll("\u0000", "")), null);
      }
    });

    it("refuses an order id already used by another customer, whose order lives in another partition", async () => {
      // Found by trying: a customer whose partition differs from part-gus's.
      const taken = await placeOrder("part-gus");
      const partitionOf = async (userId: string) =>
        (await h.prisma.$queryRaw<{ remainder: number }[]>`SELECT r AS remainder FROM generate_series(0, 15) r WHERE satisfies_hash_partition('"Order"'::regclass, 16, r, ${userId}::text)`)[0]!
          .remainder;
      const home = await partitionOf("part-gus");
      let other = "";
      for (let i = 0; other === "" && i < 100; i += 1) if ((await partitionOf(`part-other-${i}`)) !== home) other = `part-other-${i}`;
      await h.addToCart(other, "p1", 1);
      const price = { amount: 1000, currency: "USD" };
      const now = new Date();
      // A client-chosen or colliding id: the partitioned key (id, userId) alone would take it.
      const place = h.store.place({
        order: { ...taken, userId: other, idempotencyKey: "fresh-key", createdAt: now, updatedAt: now },
        items: [{ orderId: taken.id, variantId: "p1", productId: "p1", name: "Product p1", sku: "SKU-p1", variantTitle: "Product p1", options: [], quantity: 1, unitPrice: price, discount: null, tax: null }],
        payment: { id: randomUUID(), amount: price, method: null },
        events: [],
        cart: { ordered: [{ variantId: "p1", quantity: 1, accepted: price, addedAt: await lineAddedAt(h.prisma, other, "p1") }], unavailable: [] },
        couponId: null,
      });
      await assert.rejects(place, (error) => error instanceof IdempotencyKeyTaken);
      assert.equal(await h.prisma.order.count({ where: { id: taken.id } }), 1);
      assert.equal((await h.store.findById(taken.id))?.userId, "part-gus");
      assert.equal((await h.cartOf(other)).lines.length, 1, "the other customer's cart is untouched");
    });

    it("places one order per key when two checkouts of each of several customers race, across partitions", async () => {
      const customers = Array.from({ length: 6 }, (_, i) => `part-race-${i}`);
      for (const userId of customers) await h.addToCart(userId, "p2", 1);
      const results = await Promise.allSettled(customers.flatMap((userId) => [h.checkout.checkout(userId, "race-key"), h.checkout.checkout(userId, "race-key")]));
      assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
      for (const [i, userId] of customers.entries()) {
        const [a, b] = [results[2 * i], results[2 * i + 1]] as PromiseFulfilledResult<{ id: string }>[];
        assert.equal(a!.value.id, b!.value.id, "both answers name the one order");
        assert.equal(await h.prisma.order.count({ where: { userId } }), 1);
        assert.equal(await h.prisma.orderLocator.count({ where: { userId } }), 1);
        assert.equal(await h.prisma.payment.count({ where: { userId } }), 1);
      }
    });

    it("moves an order's status through its own partition, with the history row written there", async () => {
      const order = await placeOrder("part-hal");
      const ctx = { requestId: "r", identity: { userId: "part-hal", roles: ["customer" as const] }, logger: h.logger };
      const cancelled = await h.orders.cancel(ctx, order.id);
      assert.equal(cancelled.status, "CANCELLED");
      const history = await h.prisma.orderStatusChange.findMany({ where: { orderId: order.id }, orderBy: { at: "asc" } });
      assert.deepEqual(
        history.map((c) => [c.userId, c.to]),
        [
          ["part-hal", "PENDING"],
          ["part-hal", "CANCELLED"],
        ],
      );
    });
  });
}

definePartitionSuite("embedded");
describeWithRealEngine({ suite: "orders partitioned by customer", engine: "postgresql", variable: "DATABASE_URL" }, () => definePartitionSuite("real"));
