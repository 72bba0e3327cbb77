import { createAdmissionGate, createSubgraphClient, loopbackHostCheck, openObjectStore, startAnchoredClock, startSubgraphServer, subgraphReadiness, type ObjectStore, type Platform, type RunningServer, type Subscription } from "#kernel";
import { createPrismaClient, readDatabaseClock, startOutboxRelay, type PrismaClient } from "#kernel/relational";
import { createCheckoutCart, createInProcessProductCatalog, createSubgraphAddressBook, createSubgraphProductCatalog, type ProductCatalog } from "../../cart/src/index.js";
import { createOrdersSchema } from "./subgraph.js";
import { createOrdersContext } from "./subgraph-context.js";
import { createCheckoutService, type CheckoutService } from "./domain/checkout.service.js";
import { createHoldFollowUps } from "./domain/hold-follow-ups.js";
import { createOrderService, type OrderService } from "./domain/order.service.js";
import { createAfterSaleService, type AfterSaleService } from "./domain/after-sale.service.js";
import { createPaymentOutcomeHandler } from "./domain/payment-outcome.handler.js";
import { withOrderOfKey } from "./adapters/cart-with-order-of-key.js";
import { createPrismaOrderStore } from "./adapters/prisma-order.store.js";
import { createPrismaArchiveDirectory } from "./adapters/prisma-archive-directory.js";
import { archiveNamespace, createDuckDbArchiveFiles } from "./adapters/duckdb-archive-files.js";
import { createArchiveReadingOrderStore } from "./domain/archive-reading-order-store.js";
import { createSubgraphStockReservations } from "./adapters/subgraph-stock-reservations.js";
import { createInProcessStockReservations, type InventoryHolds } from "./adapters/in-process-stock-reservations.js";
import { createSoldOutMemo } from "./domain/sold-out-memo.js";
import { startPaymentOutcomeConsumer } from "./consumers/payment-outcome.consumer.js";
import { createPendingOrderReconciler, startPendingOrderReconciler, type PendingOrderReconciler } from "./domain/pending-order-reconciler.js";
import { createSubgraphPaymentOutcomes } from "./adapters/subgraph-payment-outcomes.js";
import type { OrderStore } from "./ports/order-store.js";

export interface OrdersSubgraphOptions {
  port?: number;
  /** A Prisma client shared with other subgraphs of this process; one is opened otherwise. */
  prisma?: PrismaClient;
  /** The process's one outbox relay; without it the subgraph starts its own. */
  outbox?: { nudge(): void };
  /** Bound URLs of the subgraphs orders calls (the one-process mode knows them). */
  productsUrl?: string;
  inventoryUrl?: string;
  /** The products service of this process: checkout prices its cart without an HTTP hop. */
  catalog?: ProductCatalog;
  /** The inventory service of this process: holds are taken and sold without an HTTP hop. */
  inventoryService?: InventoryHolds;
  accountsUrl?: string;
  /** The payments subgraph (the reconciler asks it); a function when it starts after orders. */
  paymentsUrl?: string | (() => string);
  /** Where archived orders' files are; the configured object store otherwise (opened on the first archived read). */
  objects?: ObjectStore;
}

export interface RunningOrders extends RunningServer {
  checkout: CheckoutService;
  orders: OrderService;
  afterSale: AfterSaleService;
  store: OrderStore;
  reconciler: PendingOrderReconciler;
}

/**
 * Starts the orders subgraph on the platform: store, stock reservations, checkout, the
 * payment outcome consumer (group `orders`) and the server.
 */
export async function startOrdersSubgraph(platform: Platform, options: OrdersSubgraphOptions = {}): Promise<RunningOrders> {
  const { config, bus } = platform;
  const logger = platform.logger.child({ subgraph: "orders" });
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl);
  const ownRelay = options.outbox ? undefined : startOutboxRelay({ prisma, bus, logger, retention: { processedEventsMs: platform.config.events.redeliveryWindowMs } });
  const outbox = options.outbox ?? ownRelay!;
  const client = (url: string, audience: string) => createSubgraphClient({ url, audience, internalSecret: config.auth.internalSecret, serviceName: "orders" });
  const products = client(options.productsUrl ?? config.gateway.subgraphUrls.products, "products");
  const inventory = client(options.inventoryUrl ?? config.gateway.subgraphUrls.inventory, "inventory");
  // Checkout reads a saved address by id from accounts (only when given an id, not a typed address).
  const accounts = client(options.accountsUrl ?? config.gateway.subgraphUrls.accounts, "accounts");

  const catalog = options.catalog ? createInProcessProductCatalog(options.catalog, { logger }) : createSubgraphProductCatalog(products);
  const cart = withOrderOfKey(createCheckoutCart({ prisma, catalog }));
  // Archived orders are read through the same store; DuckDB and the object store open on the first one read.
  let objects: Promise<ObjectStore> | undefined;
  const objectsOnce = () => (objects ??= options.objects ? Promise.resolve(options.objects) : openObjectStore(config, { uploadBaseUrl: () => "" }));
  const files = createDuckDbArchiveFiles({ objects: objectsOnce, namespace: archiveNamespace(platform.databaseUrl) });
  const store = createArchiveReadingOrderStore(createPrismaOrderStore({ prisma, onCommit: () => outbox.nudge() }), { directory: createPrismaArchiveDirectory(prisma), files });
  // An order's and its payment's times are read by other processes (payments' patience, the
  // reconciler's windows, the return window): stamped by the database's time, not this host's.
  const anchored = await startAnchoredClock({ reference: () => readDatabaseClock(prisma), logger });
  const clock = anchored.now;
  const reservations = options.inventoryService ? createInProcessStockReservations(options.inventoryService, { logger }) : createSubgraphStockReservations(inventory);
  const holdFollowUps = createHoldFollowUps({ onError: (orderId, error) => logger.warn("second look at a hold left to a twin failed; the hold expires", { orderId, error: String(error) }) });
  const checkout = createCheckoutService({
    store,
    cart,
    reservations,
    addresses: createSubgraphAddressBook(accounts),
    logger,
    clock,
    soldOut: createSoldOutMemo(),
    admission: createAdmissionGate({ name: "checkouts", maxInFlight: config.orders.checkoutMaxInFlight, maxWaitMs: config.orders.checkoutMaxWaitMs }),
    holdFollowUps,
  });
  const orders = createOrderService({ store, reservations, clock });
  const afterSale = createAfterSaleService({ store, returnWindowDays: config.orders.returnWindowDays, clock });
  const handle = createPaymentOutcomeHandler({ store, reservations, logger, clock });
  // Payments may start after orders in one process: its client is made on the first question.
  let payments: ReturnType<typeof client> | undefined;
  const paymentsClient = () => {
    if (payments) return payments;
    const url = typeof options.paymentsUrl === "function" ? options.paymentsUrl() : (options.paymentsUrl ?? config.gateway.subgraphUrls.payments);
    if (!url) throw new Error("the payments subgraph is not up yet");
    return (payments = client(url, "payments"));
  };
  const reconciler = createPendingOrderReconciler({ store, payments: createSubgraphPaymentOutcomes(paymentsClient), handle, logger, clock });

  let consumer: Subscription | undefined;
  let server: RunningServer | undefined;
  let reconciling: { stop(): Promise<void> } | undefined;
  const close = async () => {
    await server?.close();
    holdFollowUps.stop();
    await reconciling?.stop();
    await consumer?.stop();
    await ownRelay?.stop();
    await Promise.all([products.close(), inventory.close(), accounts.close(), payments?.close()]);
    await files.close();
    if (objects && !options.objects) await (await objects).close();
    anchored.stop();
    if (!options.prisma) await prisma.$disconnect();
  };
  try {
    consumer = await startPaymentOutcomeConsumer({ bus, logger, handle });
    server = await startSubgraphServer({
      name: "orders",
      schema: createOrdersSchema(),
      internalSecret: config.auth.internalSecret,
      logger,
      extendContext: (base) => createOrdersContext(base, { orders, checkout, afterSale, store }),
      port: options.port ?? config.subgraphPorts.orders,
      host: config.host,
      acceptsHost: loopbackHostCheck(config),
      readiness: subgraphReadiness(platform, { needs: ["relational"], uses: ["cache"] }),
    });
    reconciling = startPendingOrderReconciler(reconciler, { afterMs: config.orders.reconcileAfterMs, intervalMs: config.orders.reconcileIntervalMs }, logger);
  } catch (error) {
    await close();
    throw error;
  }
  return { ...server, checkout, orders, afterSale, store, reconciler, close };
}
