/** What a cached response depends on; the catalog's change events name these. */
export type CacheTag = `product:${string}` | typeof LISTINGS | typeof ANY_PRODUCT;

/** Responses that depend on which products exist (listings, search, a product that was null). */
export const LISTINGS = "catalog:listings";
/** Responses holding a product whose id they do not select: any change may concern them. */
export const ANY_PRODUCT = "catalog:any-product";

interface Entry<T> {
  value: T;
  tags: readonly CacheTag[];
  expiresAt: number;
  bytes: number;
}

export interface ResponseCacheOptions {
  maxEntries: number;
  /**
   * What the entries may hold together, by the size of their answers and of their keys: a
   * count alone let a few thousand large public answers (a 100-product page is over 1 MB held)
   * take gigabytes, and answers alone let small ones keyed by what a client wrote (an operation
   * name, a variable's value, up to a whole 100 KB body) hold 10,000 keys of 90 KB. One entry
   * over an eighth of it is not stored.
   */
  maxBytes: number;
  ttlMs: number;
  /**
   * After a change event, responses touching that product are not stored for this long: the
   * event can reach the gateway a moment before every subgraph serves the change (a mirror or
   * a subgraph cache updated right after the commit that published it).
   */
  settleMs: number;
  clock?: () => number;
}

/**
 * The gateway's in-process cache of public catalog responses, invalidated by tag.
 *
 * The race it closes: a request reads version 1 from the subgraphs, the change to version 2
 * is announced and invalidated here, then the request stores version 1. Every request takes a
 * ticket (a sequence number) before it reads; an invalidation stamps its tags with the next
 * sequence number, and a store is refused when any of its tags was stamped after its ticket,
 * or within `settleMs` of now. Stamps older than any request could be are pruned.
 *
 * In-process on purpose: a hit costs no network round trip. Each gateway process (or cluster
 * worker) keeps its own copy and consumes the change events itself.
 */
export function createResponseCache<T>(options: ResponseCacheOptions) {
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, Entry<T>>();
  let bytes = 0;
  const keysByTag = new Map<CacheTag, Set<string>>();
  const stamps = new Map<CacheTag, { sequence: number; at: number }>();
  let sequence = 0;
  let lastPrune = clock();
  const stats = { hits: 0, misses: 0, stores: 0, refusedStores: 0, invalidations: 0, evictions: 0 };

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) keysByTag.delete(tag);
    }
  };

  const prune = (now: number) => {
    // No request lives this long (subgraph calls time out well before), so older stamps
    // cannot refuse anything any more.
    const horizon = Math.max(options.settleMs, 120_000);
    if (now - lastPrune < horizon) return;
    lastPrune = now;
    for (const [tag, stamp] of stamps) if (now - stamp.at > horizon) stamps.delete(tag);
  };

  return {
    stats,
    get size() {
      return entries.size;
    },

    /** The sizes of the answers held now, as given to `store`. */
    get bytes() {
      return bytes;
    },

    /** Taken before reading the subgraphs; pass it to `store`. */
    ticket(): number {
      return sequence;
    },

    get(key: string): T | undefined {
      const entry = entries.get(key);
      if (!entry) {
        stats.misses += 1;
        return undefined;
      }
      if (entry.expiresAt <= clock()) {
        remove(key);
        stats.misses += 1;
        return undefined;
      }
      // Re-inserting keeps Map order least-recently-used first, for eviction.
      entries.delete(key);
      entries.set(key, entry);
      stats.hits += 1;
      return entry.value;
    },

    /**
     * Stores unless an invalidation of one of the tags happened since `ticket`, or the entry
     * (an answer of `size` bytes, and its key) is too large for the cache; returns whether it did.
     */
    store(key: string, value: T, tags: readonly CacheTag[], ticket: number, answerSize: number, ttlMs = options.ttlMs): boolean {
      const now = clock();
      const size = answerSize + key.length;
      if (size > options.maxBytes / 8) {
        stats.refusedStores += 1;
        return false;
      }
      for (const tag of tags) {
        const stamp = stamps.get(tag);
        if (stamp && (stamp.sequence > ticket || now - stamp.at < options.settleMs)) {
          stats.refusedStores += 1;
          return false;
        }
      }
      remove(key);
      entries.set(key, { value, tags, expiresAt: now + Math.min(ttlMs, options.ttlMs), bytes: size });
      bytes += size;
      for (const tag of tags) {
        let keys = keysByTag.get(tag);
        if (!keys) keysByTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
      // From the least recently used: expired answers at the head go whatever the room (one
      // used since stays until it is asked for or reaches the head), then as many as the bounds need.
      for (const [oldest, entry] of entries) {
        if (entry.expiresAt > now && entries.size <= options.maxEntries && bytes <= options.maxBytes) break;
        remove(oldest);
        if (entry.expiresAt > now) stats.evictions += 1;
      }
      stats.stores += 1;
      return true;
    },

    /** Drops every response carrying one of the tags and refuses late stores of them. */
    invalidate(tags: readonly CacheTag[]): void {
      const now = clock();
      sequence += 1;
      stats.invalidations += 1;
      for (const tag of tags) {
        stamps.set(tag, { sequence, at: now });
        for (const key of [...(keysByTag.get(tag) ?? [])]) remove(key);
      }
      prune(now);
    },

    clear(): void {
      entries.clear();
      keysByTag.clear();
      bytes = 0;
    },
  };
}

export type ResponseCache<T> = ReturnType<typeof createResponseCache<T>>;
