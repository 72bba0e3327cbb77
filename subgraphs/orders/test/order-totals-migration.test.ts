import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { applyMigrations } from "../../../scripts/migrate/apply-migrations.js";
import { DEFAULT_MIGRATIONS_DIR } from "../../../scripts/migrate/paths.js";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";

/** The migration that gave orders their totals and snapshots. */
const TOTALS_MIGRATION = "20261203052040_order_totals_and_snapshots";

/**
 * An order placed before totals and snapshots were recorded reads, after the migration, as
 * subtotal = total with no discount, shipping or tax, and no address or shipping method.
 */
function defineTotalsMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("Order totals migration of existing orders", engine), { timeout: 120_000 }, () => {
    const name = `migrate_totals_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const migrations = mkdtempSync(join(tmpdir(), "totals-migration-"));
    let url: string;
    const sql = async (text: string, values: unknown[] = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    };

    before(async () => {
      const admin = new URL(adminUrl()!);
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`).finally(() => client.end());
      admin.pathname = `/${name}`;
      url = admin.toString();
      for (const entry of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
        if (entry < TOTALS_MIGRATION || entry === "migration_lock.toml") cpSync(join(DEFAULT_MIGRATIONS_DIR, entry), join(migrations, entry), { recursive: true });
      }
      await applyMigrations(url, { migrationsDir: migrations });
      await sql(
        `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
         VALUES ('ord_old', 'u-old', 'PAID', 'USD', 3000, 'key-old', 'hash-old', 'ord_old', now())`,
      );
      for (const entry of readdirSync(DEFAULT_MIGRATIONS_DIR)) if (entry >= TOTALS_MIGRATION) cpSync(join(DEFAULT_MIGRATIONS_DIR, entry), join(migrations, entry), { recursive: true });
      await applyMigrations(url, { migrationsDir: migrations });
    });

    after(async () => {
      const client = new pg.Client({ connectionString: adminUrl()! });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => client.end());
      rmSync(migrations, { recursive: true, force: true });
    });

    it("reads an old order as subtotal = total, zero discount, shipping and tax, and no snapshots", async () => {
      const prisma = createPrismaClient(url, { poolSize: 2 });
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
