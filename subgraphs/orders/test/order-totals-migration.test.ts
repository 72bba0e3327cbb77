import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { databaseBeforeMigration } from "./support/database-before-migration.js";

/** The migration that gave orders their totals and snapshots. */
const TOTALS_MIGRATION = "20261203052040_order_totals_and_snapshots";

/**
 * An order placed before totals and snapshots were recorded reads, after the migration, as
 * subtotal = total with no discount, shipping or tax, and no address or shipping method.
 */
function defineTotalsMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("Order totals migration of existing orders", engine), { timeout: 120_000 }, () => {
    let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;

    before(async () => {
      db = await databaseBeforeMigration(adminUrl()!, TOTALS_MIGRATION);
      await db.sql(
        `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
         VALUES ('ord_old', 'u-old', 'PAID', 'USD', 3000, 'key-old', 'hash-old', 'ord_old', now())`,
      );
      await db.migrate((entry) => entry >= TOTALS_MIGRATION);
    });
    after(() => db?.drop());

    it("reads an old order as subtotal = total, zero discount, shipping and tax, and no snapshots", async () => {
      const prisma = createPrismaClient(db.url, { poolSize: 2 });
      try {
        const order = (await createPrismaOrderStore({ prisma }).findById("ord_old"))!;
        assert.deepEqual(
          [order.subtotal, order.discountTotal, order.shippingTotal, order.taxTotal, order.total].map((m) => m.amount),
          [3000, 0, 0, 0, 3000],
        );
        assert.deepEqual([order.shippingAddress, order.shippingMethod, order.couponCode, order.optionsHash], [null, null, null, null]);
      } finally {
        await prisma.$disconnect();
      }
    });
  });
}

defineTotalsMigrationSuite("embedded-postgres", () => process.env.TEST_PG_EMBEDDED_URL);
describeWithRealEngine({ suite: "Order totals migration", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () =>
  defineTotalsMigrationSuite("postgresql", () => process.env.TEST_PG_REAL_URL),
);
