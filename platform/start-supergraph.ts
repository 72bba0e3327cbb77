import { configureMetrics, createAccessTokenIssuer, httpOrigin, metricsAccessFor, openPlatform, SUBGRAPH_NAMES, type Config, type EventBus, type Logger, type SubgraphName } from "#kernel";
import { createPrismaClient, startOutboxRelay } from "#kernel/relational";
import { startProductsSubgraph } from "../subgraphs/products/src/products-subgraph.js";
import { seedListing } from "../subgraphs/products/src/listing/seed-listing.js";
import { startInventorySubgraph } from "../subgraphs/inventory/src/inventory-subgraph.js";
import { startSearchSubgraph } from "../subgraphs/search/src/search-subgraph.js";
import { startAccountsSubgraph } from "../subgraphs/accounts/src/accounts-subgraph.js";
import { seedDevAdmin, seedDevCustomer, type DevAccount } from "../subgraphs/accounts/src/seed-dev-admin.js";
import { startCartSubgraph } from "../subgraphs/cart/src/cart-subgraph.js";
import { seedDemoShippingMethods } from "../subgraphs/cart/src/index.js";
import { startOrdersSubgraph } from "../subgraphs/orders/src/orders-subgraph.js";
import { startPaymentsSubgraph } from "../subgraphs/payments/src/payments-subgraph.js";
import { startPaymentSimulator } from "../services/payment-simulator/src/index.js";
import { createInProcessRecipientDirectory, startNotificationService } from "../services/notifications/src/index.js";
import { startGateway } from "../gateway/src/gateway-server.js";
import { seedDemoCatalog } from "./seed-demo-catalog.js";
import { describeEngines } from "./engine-summary.js";

export interface StartSupergraphOptions {
  config: Config;
  logger: Logger;
  /** Bind every server to a free port (tests) instead of the configured ones. */
  ephemeralPorts?: boolean;
  /** Wraps the event bus every part of the process uses (tests simulate broker outages). */
  decorateBus?: (bus: EventBus) => EventBus;
}

export interface RunningSupergraph {
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  /** A start message with the URLs; in development also development tokens and the admin account. */
  banner(seconds: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole platform in one process: shared infrastructure, every subgraph, the gateway.
 * This is the zero-setup mode (`npm start`) and what end-to-end tests start on free ports.
 */
export async function startSupergraph({ config, logger, ephemeralPorts = false, decorateBus }: StartSupergraphOptions): Promise<RunningSupergraph> {
  // One process, one registry: every server here answers /metrics with all of it.
  configureMetrics({ service: "storefront", access: metricsAccessFor(config) });
  const { applyMigrations } = await import("../scripts/migrate/apply-migrations.js");
  const opened = await openPlatform(config, logger, { migrate: async (url) => void (await applyMigrations(url)), keepEmbeddedData: true });
  const platform = decorateBus ? { ...opened, bus: decorateBus(opened.bus) } : opened;
  const closers: (() => Promise<void>)[] = [platform.close];
  const port = (name: SubgraphName) => (ephemeralPorts ? 0 : config.subgraphPorts[name]);
  try {
    // Image URLs name the gateway's /images, whose port is known only once it listens (last).
    let gatewayOrigin: string | undefined;
    const products = await startProductsSubgraph(platform, {
      port: port("products"),
      images: { gatewayOrigin: () => gatewayOrigin ?? httpOrigin(config.host, config.gateway.port) },
    });
    closers.unshift(products.close);
    const subgraphUrls: Record<string, string> = { ...config.gateway.subgraphUrls, products: products.url };

    // One Prisma pool and ONE transactional outbox relay for every relational subgraph here.
    const prisma = createPrismaClient(platform.databaseUrl);
    const outbox = startOutboxRelay({ prisma, bus: platform.bus, logger, retention: { processedEventsMs: config.events.redeliveryWindowMs } });
    closers.unshift(async () => {
      await outbox.stop();
      await prisma.$disconnect();
    });
    // Inventory before the catalog seed (it records the demo stock) and before cart and orders.
    // Its stock mirror is built once the platform serves (below): at the design's catalog the
    // rebuild reads millions of stock levels, which would slow every step of the start.
    const inventory = await startInventorySubgraph(platform, { port: port("inventory"), prisma, outbox, productsUrl: products.url, deferMirror: true });
    closers.unshift(inventory.close);
    subgraphUrls.inventory = inventory.url;
    await seedDemoCatalog({
      store: products.store,
      count: config.catalog.seedProducts,
      logger,
      stock: async (levels) => void (await inventory.service.seedStock(levels)),
      announce: products.announceChanges,
      ...seedListing(products.listings),
    });
    // Search follows catalog changes and, on an empty index, builds it from the seeded catalog.
    const search = await startSearchSubgraph(platform, { port: port("search"), productsUrl: products.url });
    closers.unshift(search.close);
    subgraphUrls.search = search.url;
    // Accounts merges guest carts at logIn/signUp through the cart subgraph, which starts later.
    const accounts = await startAccountsSubgraph(platform, { port: port("accounts"), cartUrl: () => subgraphUrls.cart! });
    closers.unshift(accounts.close);
    subgraphUrls.accounts = accounts.url;
    const devAdmin = await seedDevAdmin({ config, accounts: accounts.accounts, logger });
    const devCustomer = await seedDevCustomer({ config, accounts: accounts.accounts, logger });

    const cart = await startCartSubgraph(platform, {
      port: port("cart"),
      prisma,
      productsUrl: subgraphUrls.products,
      catalog: products.variants,
      inventoryUrl: subgraphUrls.inventory,
      accountsUrl: subgraphUrls.accounts,
      // addOrderToCart reads the orders subgraph, which starts after the cart.
      ordersUrl: () => subgraphUrls.orders!,
    });
    closers.unshift(cart.close);
    subgraphUrls.cart = cart.url;
    // The demo store ships with the demo catalog, so the zero-setup start can check out.
    if (config.catalog.seedProducts > 0) await seedDemoShippingMethods(prisma);
    // Orders keeps a pool of its own: a cancel or payment outcome holds an order's row lock
    // while the inventory commits or releases stock, and must never starve the inventory.
    const orders = await startOrdersSubgraph(platform, {
      port: port("orders"),
      outbox,
      productsUrl: subgraphUrls.products,
      // Prices and holds straight from the products and inventory services of this process:
      // three hops fewer a checkout (the cart's `_entities`, the reserve, the commit).
      catalog: products.variants,
      inventoryUrl: subgraphUrls.inventory,
      inventoryService: inventory.service,
      accountsUrl: subgraphUrls.accounts,
      paymentsUrl: () => subgraphUrls.payments ?? "",
    });
    closers.unshift(orders.close);
    subgraphUrls.orders = orders.url;
    // Payments charge through the simulator unless PAYMENT_PROVIDER_URL names a provider.
    const simulator = config.payments.providerUrl
      ? undefined
      : await startPaymentSimulator({
          ...config.payments.simulator,
          port: ephemeralPorts ? 0 : config.payments.simulator.port,
          host: config.host,
          logger: logger.child({ service: "payment-simulator" }),
        });
    if (simulator) closers.unshift(simulator.close);
    const payments = await startPaymentsSubgraph(platform, { port: port("payments"), prisma, outbox, providerUrl: config.payments.providerUrl ?? simulator!.url });
    closers.unshift(payments.close);
    subgraphUrls.payments = payments.url;
    // Customers' addresses straight from the accounts service of this process.
    const notifications = await startNotificationService(platform, { prisma, directory: createInProcessRecipientDirectory(accounts.accounts.findByIds) });
    closers.unshift(notifications.close);
    const gatewayConfig: Config = {
      ...config,
      gateway: { ...config.gateway, subgraphUrls: subgraphUrls as Record<SubgraphName, string> },
      // RS256 (JWT_PRIVATE_KEY) without JWKS_URL: verify against the accounts subgraph here.
      auth: { ...config.auth, jwksUrl: config.auth.jwksUrl ?? accounts.jwksUrl },
    };
    const gateway = await startGateway({ config: gatewayConfig, logger, bus: platform.bus, kv: platform.kv, port: ephemeralPorts ? 0 : config.gateway.port });
    gatewayOrigin = gateway.url.replace(/\/graphql$/, "");
    closers.unshift(gateway.close);
    inventory.service.mirror.start();

    return {
      gatewayUrl: gateway.url,
      subgraphUrls,
      banner: async (seconds) => {
        const base = gateway.url.replace(/\/graphql$/, "");
        return [
          `\nStorefront supergraph ready in ${seconds}s`,
          `  GraphQL      ${gateway.url}  (WebSocket subscriptions on the same URL)`,
          `  Storefront   ${base}/shop`,
          `  Explorer     ${base}/explorer`,
          `  Health       ${base}/healthz   ${base}/readyz`,
          `  Engines      ${describeEngines(config, { ...platform.engines, documents: products.store.engine, search: search.index.engine, accounts: accounts.store.engine }, platform.databaseUrl).join("\n               ")}`,
          `  Subgraphs    ${SUBGRAPH_NAMES.map((n) => `${n} ${subgraphUrls[n]}`).join("\n               ")}`,
          ...(await developmentAccess(config, { admin: devAdmin, customer: devCustomer })),
          "\n",
        ].join("\n");
      },
      async close() {
        for (const close of closers) await close().catch((error: unknown) => logger.warn("close failed", { error: String(error) }));
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}

/**
 * Tokens and the development accounts for trying the API, in development only. Anywhere else
 * they would be working credentials signed with that environment's real key, printed to a
 * terminal and its logs. Each token names a seeded account, so what it is used for (saving an
 * address, checking out, `me`) works as it would for that account after `logIn`.
 */
async function developmentAccess(config: Config, accounts: { admin: DevAccount | undefined; customer: DevAccount | undefined }): Promise<string[]> {
  if (config.env !== "development" || !accounts.customer) return [];
  // Signed like the accounts subgraph signs (HS256 or RS256), as long as the gateway allows.
  const ttlSeconds = Math.min(86_400, config.auth.accessTokenMaxLifetimeSeconds);
  const devTokens = createAccessTokenIssuer({ issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience, secret: config.auth.jwtSecret, privateKeyPem: config.auth.jwtPrivateKey, ttlSeconds });
  const customer = (await devTokens.issue({ userId: accounts.customer.userId, roles: ["customer"] })).token;
  const admin = accounts.admin && (await devTokens.issue({ userId: accounts.admin.userId, roles: ["customer", "admin"] })).token;
  const lifetime = ttlSeconds % 3600 === 0 ? `${ttlSeconds / 3600} h` : `${Math.floor(ttlSeconds / 60)} min`;
  return [
    `\nDevelopment tokens (${lifetime}) of the accounts below, for the explorer's headers as {"Authorization": "Bearer <token>"}:`,
    `  customer  ${customer}`,
    ...(admin ? [`  admin     ${admin}`] : []),
    `\nDevelopment accounts (logIn mutation; development only):`,
    ...(accounts.admin ? [`  admin     ${accounts.admin.email} / ${accounts.admin.password}`] : []),
    `  customer  ${accounts.customer.email} / ${accounts.customer.password}`,
  ];
}
