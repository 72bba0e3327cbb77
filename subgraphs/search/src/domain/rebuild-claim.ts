import { randomUUID } from "node:crypto";
import type { KeyValueStore } from "#kernel";

/** How long one replica's claim on the rebuild holds if it dies while rebuilding. */
const REBUILD_CLAIM_MS = 3 * 60 * 60_000;

/**
 * Runs `rebuild` holding the one rebuild claim of an index (a cache key shared by every replica),
 * or not at all when another replica holds it: that one is rebuilding, and every replica
 * rebuilding at once would make as many copies of the catalog on the engine. Whoever holds it
 * may delete what a dead rebuild left (RebuildOptions.dropAbandonedBuilds).
 */
export async function withRebuildClaim<T>(kv: KeyValueStore, indexName: string, rebuild: () => Promise<T>): Promise<{ claimed: true; result: T } | { claimed: false }> {
  const key = `search:reorder:${indexName}`;
  const token = randomUUID();
  if (!(await kv.setIfAbsent(key, token, REBUILD_CLAIM_MS))) return { claimed: false };
  try {
    return { claimed: true, result: await rebuild() };
  } finally {
    await kv.deleteIfEquals(key, token).catch(() => undefined);
  }
}
