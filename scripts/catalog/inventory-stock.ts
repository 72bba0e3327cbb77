import { openPlatform, type Config, type Logger } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { createInventoryService } from "../../subgraphs/inventory/src/domain/inventory.service.js";
import { PrismaStockLedger } from "../../subgraphs/inventory/src/adapters/prisma-stock-ledger.js";
import { openStockCache } from "../../subgraphs/inventory/src/adapters/open-stock-cache.js";

/**
 * The inventory seed for generated products, through the inventory service itself (ledger,
 * outbox events and the Redis mirror in step), as `npm start` seeds the demo catalog: every
 * product the generator writes gets its stock. Products that already have stock keep it.
 */
export async function openInventoryStock(config: Config, logger: Logger) {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  // A bulk load of up to millions of levels: not held to a service's statement bounds.
  const prisma = createPrismaClient(platform.databaseUrl, { poolSize: 4, bounds: null });
  const service = createInventoryService({
    ledger: new PrismaStockLedger(prisma),
    cache: await openStockCache(platform),
    // Asked only by restocks; the variants seeded here were just written by the generator.
    catalog: { variantIdsOf: async (productId) => [productId], variantExists: async () => true },
    logger,
    reservationTtlMs: config.inventory.reservationTtlMs,
    maxQuantityPerOrder: config.inventory.maxQuantityPerOrder,
  });
  return {
    seed: (levels: readonly { variantId: string; stock: number }[]) => service.seedStock(levels),
    async close() {
      await prisma.$disconnect();
      await platform.close();
    },
  };
}
