// Seeds what a fresh fleet needs before its replicas start, once, so that no two replicas race
// to do it: the demo catalog with its stock and listings (into an empty catalog only), and the
// demo store's shipping methods. Run by the fleet as its own short-lived process.
import { createLogger, loadConfig, openPlatform } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { startProductsSubgraph } from "../../subgraphs/products/src/products-subgraph.js";
import { seedListing } from "../../subgraphs/products/src/listing/seed-listing.js";
import { startInventorySubgraph } from "../../subgraphs/inventory/src/inventory-subgraph.js";
import { seedDemoShippingMethods } from "../../subgraphs/cart/src/index.js";
import { seedDemoCatalog } from "../seed-demo-catalog.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "fleet-seed" });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const products = await startProductsSubgraph(platform, { port: 0 });
const inventory = await startInventorySubgraph(platform, { port: 0, productsUrl: products.url });
const seeded = await seedDemoCatalog({
  store: products.store,
  count: config.catalog.seedProducts,
  logger,
  stock: async (levels) => void (await inventory.service.seedStock(levels)),
  announce: products.announceChanges,
  ...seedListing(products.listings),
});
const prisma = createPrismaClient(platform.databaseUrl);
if (config.catalog.seedProducts > 0) await seedDemoShippingMethods(prisma);
await prisma.$disconnect();
await inventory.close();
await products.close();
await platform.close();
process.stdout.write(`seeded ${seeded} products\n`);
process.exit(0);
