import { randomInt } from "node:crypto";
import { countCacheLookups, type KeyValueStore, type Logger } from "#kernel";
import { withVariants } from "./product-variants.js";
import type { Product } from "./product.js";

export interface ProductCacheOptions {
  kv: KeyValueStore;
  /** How long an entry lives; the generation outlives it (see below). */
  ttlMs: number;
  /**
   * A fill whose catalog read took longer than this is dropped rather than written. Default
   * 10 s: longer than any read the catalog completes (its reads carry a 5 s engine deadline,
   * plus waiting for a connection), so a busy catalog still fills the cache. With 1 s, on this
   * loaded machine (FerretDB, 8 readers of 20 products at once, loads up to 1.02 s) only 120
   * of 200 products read were stored: the busier the catalog, the fewer fills, the more
   * catalog reads. The deadline only sizes the generation key's lifetime (see below).
   */
  fillDeadlineMs?: number;
  logger?: Logger;
  clock?: () => number;
}

/** An entry stamps the generation it was read under; `p: null` remembers a missing product. */
interface Entry {
  g: string | null;
  p: (Omit<Product, "createdAt" | "updatedAt"> & { createdAt: string; updatedAt: string }) | null;
}

/**
 * Longest id the cache reads or keeps: the catalog's ids are `prod_` and 20 characters (a seeded
 * one 12). Ids come from clients, and every miss is remembered in the shared store for the
 * entry's lifetime: 600 lookups of 90 KB ids that name no product held 54 MB there for 5
 * minutes, refreshed by the next 600. A longer id names no product: it is asked of the catalog
 * (which finds nothing) and nothing is kept.
 */
const MAX_CACHED_ID_LENGTH = 64;

const entryKey = (id: string) => `catalog:product:${id}`;
const generationKey = (id: string) => `catalog:product:${id}:gen`;

/**
 * The hot-product read-through cache on the KeyValueStore (Redis in production).
 *
 * The race it closes: a reader loads version 1 from the catalog, a write makes version 2 and
 * its invalidation runs, then the reader fills the cache with version 1. Each product has a
 * generation key that every invalidation moves (atomic INCRBY by a random step, so values
 * never repeat, even after the key expired); an entry records the generation the reader saw
 * BEFORE reading the catalog, and is served only while the generation is unchanged. A late
 * stale fill therefore carries an old generation and is never served. Entry and generation
 * come back in one MGET, so a hit is one round trip.
 *
 * The generation key lives `ttlMs + fillDeadlineMs` and more: a fill made under "no
 * generation" (null) can only be stale if an invalidation created the key after that read,
 * and such an entry expires before that key does, because fills later than the deadline are
 * dropped. Invalidations from any number of processes, repeated or out of order, only ever
 * move the generation, so they can cost a miss but never serve a stale product.
 *
 * Failures of the store degrade to catalog reads: the cache is never a reason to fail.
 */
export function createProductCache(options: ProductCacheOptions) {
  const { kv, ttlMs, logger } = options;
  const fillDeadlineMs = options.fillDeadlineMs ?? 10_000;
  const generationTtlMs = ttlMs + fillDeadlineMs + 60_000;
  const clock = options.clock ?? Date.now;

  async function fill(missing: { id: string; generation: string | null }[], found: Map<string, Product>): Promise<void> {
    await Promise.all(
      missing.map(({ id, generation }) => {
        const product = found.get(id);
        const entry: Entry = { g: generation, p: product ? { ...product, createdAt: product.createdAt.toISOString(), updatedAt: product.updatedAt.toISOString() } : null };
        return kv.set(entryKey(id), JSON.stringify(entry), ttlMs);
      }),
    );
  }

  type Load = (ids: readonly string[]) => Promise<Map<string, Product>>;

  return {
    /** Products by id: hits from the cache, misses from `load` (then cached). */
    async getMany(ids: readonly string[], load: Load): Promise<Map<string, Product>> {
      if (ids.every((id) => id.length <= MAX_CACHED_ID_LENGTH)) return readThrough(ids, load);
      const [cached, uncached] = await Promise.all([
        readThrough(ids.filter((id) => id.length <= MAX_CACHED_ID_LENGTH), load),
        load(ids.filter((id) => id.length > MAX_CACHED_ID_LENGTH)),
      ]);
      return new Map([...cached, ...uncached]);
    },

    /** Makes every entry filled before this call unservable. Rejects when the store does. */
    async invalidate(id: string): Promise<void> {
      await kv.increment(generationKey(id), randomInt(1, 2 ** 31), generationTtlMs);
      // Not needed for correctness (the generation already moved); frees the memory now.
      await kv.delete(entryKey(id));
    },
  };

  /** Products by id through the shared store: hits from it, misses from `load`, then kept there. */
  async function readThrough(ids: readonly string[], load: Load): Promise<Map<string, Product>> {
    if (ids.length === 0) return new Map();
    const result = new Map<string, Product>();
    let values: (string | null)[];
    try {
      values = await kv.getMany(ids.flatMap((id) => [entryKey(id), generationKey(id)]));
    } catch (error) {
      logger?.warn("product cache unavailable; reading the catalog", { error: String(error) });
      countCacheLookups("product", "miss", ids.length);
      return load(ids);
    }
    const missing: { id: string; generation: string | null }[] = [];
    ids.forEach((id, i) => {
      const raw = values[2 * i];
      const generation = values[2 * i + 1] ?? null;
      const entry = raw ? (JSON.parse(raw) as Entry) : undefined;
      if (entry && entry.g === generation) {
        // withVariants: an entry cached by the version before variants reads as this one's.
        if (entry.p) result.set(id, withVariants({ ...entry.p, createdAt: new Date(entry.p.createdAt), updatedAt: new Date(entry.p.updatedAt) }));
      } else {
        missing.push({ id, generation });
      }
    });
    countCacheLookups("product", "hit", ids.length - missing.length);
    countCacheLookups("product", "miss", missing.length);
    if (missing.length === 0) return result;

    const startedAt = clock();
    const found = await load(missing.map((m) => m.id));
    for (const [id, product] of found) result.set(id, product);
    if (clock() - startedAt <= fillDeadlineMs) {
      await fill(missing, found).catch((error: unknown) => logger?.warn("product cache fill failed", { error: String(error) }));
    }
    return result;
  }
}

export type ProductCache = ReturnType<typeof createProductCache>;
