import type { Platform } from "#kernel";
import type { StockCache } from "../ports/stock-cache.js";
import { EmbeddedStockCache } from "./embedded-stock-cache.js";

/**
 * The Redis mirror on the process's Redis connection when REDIS_URL is set, the in-memory
 * one otherwise. Counters are namespaced by the database they mirror.
 */
export async function openStockCache(platform: Platform): Promise<StockCache> {
  if (platform.kv.engine !== "redis") return new EmbeddedStockCache();
  const [{ RedisKeyValueStore }, { RedisStockCache }] = await Promise.all([import("#kernel/adapters.ts"), import("./redis-stock-cache.js")]);
  if (!(platform.kv instanceof RedisKeyValueStore)) throw new Error("A redis key-value store is expected");
  const store = platform.kv;
  // A store nobody used yet has not connected; while Redis is unreachable this rejects and
  // the client keeps retrying in the background (the ledger serves meanwhile).
  if (store.client.status === "wait") await store.connect().catch(() => undefined);
  return new RedisStockCache(store.client, { namespace: mirrorNamespace(platform.databaseUrl) });
}

/** `storefront:` for the database `storefront`: one Redis can serve several databases. */
export function mirrorNamespace(databaseUrl: string): string {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || "postgres";
  return `${database.replace(/[^A-Za-z0-9_.-]/g, "_")}:`;
}
