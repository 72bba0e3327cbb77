import { createLogger, DATABASE_BOUNDS, productIdOfVariant, type DatabaseBounds, type LogLevel } from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { createInventoryService, type InventoryService } from "../../src/domain/inventory.service.js";
import { PrismaStockLedger } from "../../src/adapters/prisma-stock-ledger.js";
import { EmbeddedStockCache } from "../../src/adapters/embedded-stock-cache.js";
import { RedisStockCache } from "../../src/adapters/redis-stock-cache.js";
import { mirrorNamespace } from "../../src/adapters/open-stock-cache.js";
import type { StockCache } from "../../src/ports/stock-cache.js";
import type { StockLedger } from "../../src/ports/stock-ledger.js";
import type { StockMirrorOptions } from "../../src/domain/stock-mirror.js";
import { startThrowawayRedis, waitFor } from "#kernel/testing";

/**
 * The services' bounds, but a connection is waited for as long as a proof may take: a thousand
 * buyers queue on 20 connections, and on a loaded machine the queue outlasted the 5 s a service
 * waits, refusing buyers SERVICE_UNAVAILABLE where the proofs count sales and OUT_OF_STOCK. The
 * pool's own bound is proved in kernel/test/prisma-client-bounds.test.ts.
 */
const PROOF_BOUNDS: DatabaseBounds = { ...DATABASE_BOUNDS, connectMs: 60_000 };

/** A controllable clock: reservations expire when a test says so, not after a sleep. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

/**
 * One inventory "process" on a fresh database and mirror, with the failure switches the
 * proofs need. `anotherProcess` adds a second service on the same database and mirror
 * (its own pool, connection and trust state), as a second replica would be.
 */
export interface InventoryRig {
  engine: string;
  service: InventoryService;
  ledger: PrismaStockLedger;
  cache: StockCache;
  prisma: PrismaClient;
  clock: TestClock;
  /** Variants the catalog knows (restock of anything else is NOT_FOUND); their products are known through them. */
  catalog: Set<string>;
  /** Stops the mirror's server (Redis killed, or the embedded one switched off). */
  cacheDown(): Promise<void>;
  /**
   * Brings the mirror's server back, empty (or, "with-snapshots", with its last SAVE), once
   * every connection the rig holds has reconnected to it.
   */
  cacheUp(): Promise<void>;
  /** `ttlMs`: that process's RESERVATION_TTL_MS, when it differs (a rollout changing it). */
  anotherProcess(overrides?: { ttlMs?: number }): Promise<InventoryService>;
  /** The services `anotherProcess` made, whose mirrors check and rebuild on their own timers. */
  readonly others: readonly InventoryService[];
  close(): Promise<void>;
}

export interface RigOptions {
  ttlMs?: number;
  maxQuantityPerOrder?: number;
  /**
   * The Redis rig then runs its own redis-server, which `cacheDown`/`cacheUp` stop and start;
   * "with-snapshots": it comes back with what its last SAVE wrote.
   */
  restartableCache?: boolean | "with-snapshots";
  /** Wraps the service's ledger (fault injection). */
  wrapLedger?: (ledger: StockLedger) => StockLedger;
  /** Timings of every process's stock mirror checks. */
  mirror?: StockMirrorOptions;
  /** How long a rebuild stays under way unrenewed (a killed one holds the others off this long). */
  rebuildLeaseMs?: number;
}

export type RigFactory = (options?: RigOptions) => Promise<InventoryRig>;

const logger = createLogger((process.env.TEST_LOG_LEVEL as LogLevel | undefined) ?? "silent", { service: "inventory-test" });

function testClock(): TestClock {
  let now = Date.now();
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}

interface CacheHandle {
  cache: StockCache;
  /** A second connection to the same mirror, for another process. */
  connectAnother(): Promise<{ cache: StockCache; close(): Promise<void> }>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function buildRig(engine: string, database: DatabaseEngine, openCache: (namespace: string) => Promise<CacheHandle>, options: RigOptions): Promise<InventoryRig> {
  const db = await createTestDatabase(database);
  const closers: (() => Promise<void>)[] = [db.drop];
  const clock = testClock();
  const catalog = new Set<string>();
  const serviceOn = (prisma: PrismaClient, cache: StockCache, ttlMs = options.ttlMs ?? 60_000) => {
    const service = createInventoryService({
      ledger: (options.wrapLedger ?? ((ledger) => ledger))(new PrismaStockLedger(prisma)),
      cache,
      catalog: {
        variantIdsOf: async (productId) => {
          const variants = [...catalog].filter((id) => productIdOfVariant(id) === productId);
          return variants.length > 0 ? variants : null;
        },
        variantExists: async (variantId) => catalog.has(variantId),
      },
      logger,
      reservationTtlMs: ttlMs,
      maxQuantityPerOrder: options.maxQuantityPerOrder ?? 10,
      clock: clock.now,
      mirror: options.mirror,
    });
    closers.unshift(() => service.mirror.stop());
    service.mirror.start();
    return service;
  };
  try {
    const prisma = createPrismaClient(db.url, { poolSize: 20, bounds: PROOF_BOUNDS });
    closers.unshift(() => prisma.$disconnect());
    const handle = await openCache(mirrorNamespace(db.url));
    closers.unshift(handle.close);
    const service = serviceOn(prisma, handle.cache);
    const others: InventoryService[] = [];
    return {
      engine,
      service,
      ledger: new PrismaStockLedger(prisma),
      cache: handle.cache,
      prisma,
      clock,
      catalog,
      cacheDown: handle.down,
      cacheUp: handle.up,
      async anotherProcess(overrides = {}) {
        const otherPrisma = createPrismaClient(db.url, { poolSize: 10, bounds: PROOF_BOUNDS });
        closers.unshift(() => otherPrisma.$disconnect());
        const other = await handle.connectAnother();
        closers.unshift(other.close);
        const process = serviceOn(otherPrisma, other.cache, overrides.ttlMs);
        others.push(process);
        return process;
      },
      others,
      async close() {
        for (const close of closers.splice(0)) await close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}

/** Embedded PostgreSQL and the in-memory mirror (shared by every "process" of the rig, as one server). */
export const embeddedRig: RigFactory = (options = {}) =>
  buildRig("embedded", "embedded", async () => {
    const cache = new EmbeddedStockCache({ rebuildLeaseMs: options.rebuildLeaseMs });
    return {
      cache,
      connectAnother: async () => ({ cache, close: async () => {} }),
      down: async () => cache.down(),
      up: async () => cache.up(),
      close: () => cache.close(),
    };
  }, options);

/** Real PostgreSQL and Redis: REDIS_URL, or a throwaway redis-server the test can stop. */
export function realRig(redisUrl: string): RigFactory {
  return (options = {}) =>
    buildRig("postgresql+redis", "real", async (namespace) => {
      const server = options.restartableCache ? await startThrowawayRedis({ snapshots: options.restartableCache === "with-snapshots" }) : undefined;
      const url = server?.url ?? redisUrl;
      const connect = async () => {
        const store = new RedisKeyValueStore(url, { commandTimeoutMs: 1_000 });
        await store.connect();
        return { cache: new RedisStockCache(store.client, { namespace, rebuildLeaseMs: options.rebuildLeaseMs }), store };
      };
      const main = await connect();
      const others: RedisKeyValueStore[] = [];
      return {
        cache: main.cache,
        async connectAnother() {
          const other = await connect();
          others.push(other.store);
          return { cache: other.cache, close: () => other.store.close() };
        },
        down: async () => server!.kill(),
        async up() {
          await server!.start();
          // Every connection of the rig is back before the test reads through one: each
          // reconnects on its own backoff (up to 2 s), and a read sent before then is refused.
          for (const store of [main.store, ...others]) {
            await waitFor("the rig's connections to the restarted server are back", () => store.client.status === "ready", { timeoutMs: 20_000 });
          }
        },
        async close() {
          // Leave the shared Redis as it was found.
          if (!server) {
            const keys = await main.store.client.keys(`${namespace}stock*`).catch(() => [] as string[]);
            if (keys.length > 0) await main.store.client.del(...keys).catch(() => undefined);
          }
          for (const store of [main.store, ...others]) await store.close();
          await server?.kill();
        },
      };
    }, options);
}
