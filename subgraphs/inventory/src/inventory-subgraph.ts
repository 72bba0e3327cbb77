import { createSubgraphClient, loopbackHostCheck, startAnchoredClock, startSubgraphServer, subgraphReadiness, watchStockMirror, type Platform, type RunningServer } from "#kernel";
import { createPrismaClient, readDatabaseClock, startOutboxRelay, type PrismaClient } from "#kernel/relational";
import { createInventorySchema } from "./subgraph.js";
import { createInventoryContext } from "./subgraph-context.js";
import { createInventoryService, type InventoryService } from "./domain/inventory.service.js";
import { startReservationSweeper } from "./domain/reservation-sweeper.js";
import { startStockReturnConsumer } from "./consumers/stock-return.consumer.js";
import { PrismaStockLedger } from "./adapters/prisma-stock-ledger.js";
import { openStockCache } from "./adapters/open-stock-cache.js";
import { createSubgraphProductCatalog } from "./adapters/subgraph-product-catalog.js";
import type { StockCache } from "./ports/stock-cache.js";

export interface RunningInventory extends RunningServer {
  service: InventoryService;
}

export interface InventoryOptions {
  port?: number;
  /** The process's shared Prisma pool; without it the subgraph opens its own. */
  prisma?: PrismaClient;
  /** The process's outbox relay (one per process); without it the subgraph starts its own. */
  outbox?: { nudge(): void };
  /** Where the products subgraph really listens (one-process mode binds free ports). */
  productsUrl?: string;
  /** Replaces the mirror chosen from the platform (tests). */
  cache?: StockCache;
  /**
   * Leaves the stock mirror to the caller's `service.mirror.start()` (a process that starts
   * the whole platform starts it once everything serves); until then the ledger answers alone.
   */
  deferMirror?: boolean;
}

/** Starts the inventory subgraph on the platform: ledger, mirror, service, sweeper, server. */
export async function startInventorySubgraph(platform: Platform, options: InventoryOptions = {}): Promise<RunningInventory> {
  const { config } = platform;
  const logger = platform.logger.child({ subgraph: "inventory" });
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl, { poolSize: 20 });
  const ownRelay = options.outbox ? undefined : startOutboxRelay({ prisma, bus: platform.bus, logger, retention: { processedEventsMs: platform.config.events.redeliveryWindowMs } });
  const outbox = options.outbox ?? ownRelay!;
  const cache = options.cache ?? (await openStockCache(platform));
  const products = createSubgraphClient({
    url: options.productsUrl ?? config.gateway.subgraphUrls.products,
    audience: "products",
    internalSecret: config.auth.internalSecret,
    serviceName: "inventory",
  });
  // Holds are stamped by the replica that takes them and expired by whichever sweeps first:
  // both read the database's time, so a replica whose host clock is off frees no hold early.
  const clock = await startAnchoredClock({ reference: () => readDatabaseClock(prisma), logger });
  const service = createInventoryService({
    ledger: new PrismaStockLedger(prisma),
    clock: clock.now,
    cache,
    catalog: createSubgraphProductCatalog(products),
    logger,
    reservationTtlMs: config.inventory.reservationTtlMs,
    maxQuantityPerOrder: config.inventory.maxQuantityPerOrder,
    onOutboxWrite: () => outbox.nudge(),
  });
  if (!options.deferMirror) service.mirror.start();
  const unwatchMirror = watchStockMirror(service.mirror.status, cache.engine);
  const sweeper = startReservationSweeper({
    expireDue: service.expireDue,
    anyDue: service.anyDue,
    intervalMs: config.inventory.sweepIntervalMs,
    batchSize: config.inventory.sweepBatchSize,
    logger,
  });
  let stockReturns: Awaited<ReturnType<typeof startStockReturnConsumer>> | undefined;
  try {
    stockReturns = await startStockReturnConsumer({ bus: platform.bus, logger, returnStock: service.returnStock });
    const server = await startSubgraphServer({
      name: "inventory",
      schema: createInventorySchema(),
      internalSecret: config.auth.internalSecret,
      logger,
      extendContext: (base) => createInventoryContext(base, service),
      port: options.port ?? config.subgraphPorts.inventory,
      host: config.host,
      acceptsHost: loopbackHostCheck(config),
      readiness: subgraphReadiness(platform, { needs: ["relational"], uses: ["cache"] }),
    });
    return {
      ...server,
      service,
      async close() {
        await server.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }

  async function release(): Promise<void> {
    await stockReturns?.stop();
    await sweeper.stop();
    unwatchMirror();
    await service.mirror.stop();
    await ownRelay?.stop();
    await cache.close();
    await products.close();
    clock.stop();
    if (!options.prisma) await prisma.$disconnect();
  }
}
