import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { KeyValueStore } from "#kernel";

/** How long one replica's claim on the rebuild holds if it dies while rebuilding. */
const REBUILD_CLAIM_MS = 3 * 60 * 60_000;

/** The cache key every rebuilder of `indexName` takes: replicas at start, the order keeper, the reindex command. */
export function rebuildClaimKey(indexName: string): string {
  return `search:reorder:${indexName}`;
}

export interface RebuildClaimOptions {
  /** A held claim is asked for again until it is free, instead of given up. */
  wait?: RebuildClaimWait;
  /**
   * Told once the claim is taken, with its release: a process stopped by a signal mid-rebuild
   * gives it back, rather than stopping every rebuild until the claim expires.
   */
  onClaimed?: (release: () => Promise<void>) => void;
}

export interface RebuildClaimWait {
  /** Asks for the claim again this often while another holds it. */
  pollMs: number;
  /** Told each time the claim is found held, before the pause. */
  onHeld?: () => void;
  /** Stops waiting (the claim never taken) once aborted. */
  signal?: AbortSignal;
}

/**
 * Runs `rebuild` holding the one rebuild claim of an index (a cache key shared by every replica),
 * or not at all when another replica holds it: that one is rebuilding, and every replica
 * rebuilding at once would make as many copies of the catalog on the engine. Whoever holds it
 * may delete what a dead rebuild left (RebuildOptions.dropAbandonedBuilds). With `wait`, a held
 * claim is asked for again until it is free (or the wait is aborted) instead of given up.
 */
export async function withRebuildClaim<T>(
  kv: KeyValueStore,
  indexName: string,
  rebuild: () => Promise<T>,
  { wait, onClaimed }: RebuildClaimOptions = {},
): Promise<{ claimed: true; result: T } | { claimed: false }> {
  const key = rebuildClaimKey(indexName);
  const token = randomUUID();
  while (!(await kv.setIfAbsent(key, token, REBUILD_CLAIM_MS))) {
    if (!wait || wait.signal?.aborted) return { claimed: false };
    wait.onHeld?.();
    try {
      await delay(wait.pollMs, undefined, { signal: wait.signal });
    } catch {
      return { claimed: false };
    }
  }
  const release = async () => void (await kv.deleteIfEquals(key, token).catch(() => undefined));
  onClaimed?.(release);
  try {
    return { claimed: true, result: await rebuild() };
  } finally {
    await release();
  }
}
