import { createSubgraphClient, issueGuestCartToken, loopbackHostCheck, startSubgraphServer, subgraphReadiness, type Platform, type RunningServer } from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createCartSchema } from "./subgraph.js";
import { createCartContext } from "./subgraph-context.js";
import { createCartService, type CartService } from "./domain/cart.service.js";
import { createPrismaCartStore } from "./adapters/prisma-cart.store.js";
import { createSubgraphProductCatalog } from "./adapters/subgraph-product-catalog.js";
import { createInProcessProductCatalog } from "./adapters/in-process-product-catalog.js";
import type { ProductCatalog } from "./ports/product-catalog.js";
import { createSubgraphStockLevels } from "./adapters/subgraph-stock-levels.js";
import { createSubgraphAddressBook } from "./adapters/subgraph-address-book.js";
import { createSubgraphOrderHistory } from "./adapters/subgraph-order-history.js";
import { createPrismaPricingStore } from "./adapters/prisma-pricing.store.js";
import { createCartPricingService } from "./pricing/cart-pricing.service.js";
import { createPricingAdminService } from "./pricing/pricing-admin.service.js";
import { createCartPricingContext } from "./pricing/cart-pricing-context.js";
import { startGuestCartSweep } from "./guest-cart-sweep.js";

export interface CartSubgraphOptions {
  port?: number;
  /** A Prisma client shared with other subgraphs of this process; one is opened otherwise. */
  prisma?: PrismaClient;
  /** Bound URLs of the subgraphs the cart calls (the one-process mode knows them). */
  productsUrl?: string;
  /** The products service of this process: variants are read without an HTTP hop. */
  catalog?: ProductCatalog;
  inventoryUrl?: string;
  accountsUrl?: string;
  /** Where the orders subgraph answers, asked at the first addOrderToCart (it may start after the cart). */
  ordersUrl?: () => string;
}

export interface RunningCart extends RunningServer {
  service: CartService;
}

/** Starts the cart subgraph on the platform: store, product and stock lookups, service, server. */
export async function startCartSubgraph(platform: Platform, options: CartSubgraphOptions = {}): Promise<RunningCart> {
  const { config } = platform;
  const logger = platform.logger.child({ subgraph: "cart" });
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl);
  const client = (url: string, audience: string) => createSubgraphClient({ url, audience, internalSecret: config.auth.internalSecret, serviceName: "cart" });
  const products = client(options.productsUrl ?? config.gateway.subgraphUrls.products, "products");
  const inventory = client(options.inventoryUrl ?? config.gateway.subgraphUrls.inventory, "inventory");
  const accounts = client(options.accountsUrl ?? config.gateway.subgraphUrls.accounts, "accounts");
  let orders: ReturnType<typeof client> | undefined;
  const orderHistory = createSubgraphOrderHistory(() => (orders ??= client(options.ordersUrl?.() ?? config.gateway.subgraphUrls.orders, "orders")));
  const pricingStore = createPrismaPricingStore(prisma);
  const pricing = createCartPricingService({ store: pricingStore });
  const pricingAdmin = createPricingAdminService({ store: pricingStore });
  const addresses = createSubgraphAddressBook(accounts);
  const catalog = options.catalog ? createInProcessProductCatalog(options.catalog, { logger }) : createSubgraphProductCatalog(products);
  const stock = createSubgraphStockLevels(inventory);
  const store = createPrismaCartStore(prisma);
  const service = createCartService({
    store,
    limits: { maxQuantityPerLine: config.inventory.maxQuantityPerOrder, maxLines: config.cart.maxLines },
  });
  const issueToken = () => issueGuestCartToken(config.auth.internalSecret);
  const server = await startSubgraphServer({
    name: "cart",
    schema: createCartSchema(),
    internalSecret: config.auth.internalSecret,
    logger,
    extendContext: (base) => ({ ...createCartContext(base, { service, catalog, stock, orderHistory, issueGuestCartToken: issueToken }), ...createCartPricingContext({ pricing, pricingAdmin, addresses }) }),
    port: options.port ?? config.subgraphPorts.cart,
    host: config.host,
    acceptsHost: loopbackHostCheck(config),
    readiness: subgraphReadiness(platform, { needs: ["relational"] }),
  });
  const sweep = startGuestCartSweep({ store, ttlSeconds: config.cart.guestCartTtlSeconds, logger });
  return {
    ...server,
    service,
    async close() {
      await sweep.stop();
      await server.close();
      await Promise.all([products.close(), inventory.close(), accounts.close(), orders?.close()]);
      if (!options.prisma) await prisma.$disconnect();
    },
  };
}
