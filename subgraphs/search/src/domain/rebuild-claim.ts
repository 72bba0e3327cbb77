import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { KeyValueStore } from "#kernel";
import type { RebuildLease } from "../ports/search-index.js";

/**
 * How long a rebuild claim outlives its holder's last renewal. The holder renews it every quarter
 * of this while it rebuilds, so a rebuild of any length keeps it; a holder killed mid-rebuild
 * (kill -9, a lost host, an out-of-memory kill) stops renewing and its claim is free within a
 * minute, instead of stopping every rebuild for hours (a fixed three-hour claim did).
 */
export const REBUILD_CLAIM_LEASE_MS = 60_000;

/** The cache key every rebuilder of `indexName` takes: replicas at start, the order keeper, the reindex command. */
export function rebuildClaimKey(indexName: string): string {
  return `search:reorder:${indexName}`;
}

export interface RebuildClaimOptions {
  /** A held claim is asked for again until it is free, instead of given up. */
  wait?: RebuildClaimWait;
  /**
   * Told once the claim is taken, with its release: a process stopped by a signal mid-rebuild
   * gives it back at once, rather than leaving it to lapse.
   */
  onClaimed?: (release: () => Promise<void>) => void;
  /**
   * Told when a renewal finds the claim no longer this holder's (the process stalled past the
   * lease, and another rebuilder may have taken it): that rebuild may delete this one's build.
   * The rebuild is told too, through its lease's signal.
   */
  onLost?: () => void;
  /** How long the claim outlives a missed renewal (REBUILD_CLAIM_LEASE_MS unless told). */
  leaseMs?: number;
}

export interface RebuildClaimWait {
  /** Asks for the claim again this often while another holds it. */
  pollMs: number;
  /** Told each time the claim is found held, before the pause. */
  onHeld?: () => void;
  /** Stops waiting (the claim never taken) once aborted. */
  signal?: AbortSignal;
}

/** Why a rebuild stopped: its claim lapsed or went to another rebuilder while it ran. */
export class RebuildClaimLost extends Error {
  constructor(indexName: string) {
    super(`the rebuild claim of ${indexName} is no longer this rebuild's (it stalled past its lease); the rebuild stops and leaves the index as it is`);
    this.name = "RebuildClaimLost";
  }
}

/**
 * Runs `rebuild` holding the one rebuild claim of an index (a cache key shared by every replica),
 * or not at all when another replica holds it: that one is rebuilding, and every replica
 * rebuilding at once would make as many copies of the catalog on the engine. Whoever holds it
 * may delete what a dead rebuild left (RebuildOptions.dropAbandonedBuilds). With `wait`, a held
 * claim is asked for again until it is free (or the wait is aborted) instead of given up. The
 * claim is a lease renewed while `rebuild` runs, so a holder that died frees it within the lease;
 * `rebuild` is given the lease (RebuildLease) to stop by once the claim is lost.
 */
export async function withRebuildClaim<T>(
  kv: KeyValueStore,
  indexName: string,
  rebuild: (lease: RebuildLease) => Promise<T>,
  { wait, onClaimed, onLost, leaseMs = REBUILD_CLAIM_LEASE_MS }: RebuildClaimOptions = {},
): Promise<{ claimed: true; result: T } | { claimed: false }> {
  const key = rebuildClaimKey(indexName);
  const token = randomUUID();
  while (!(await kv.setIfAbsent(key, token, leaseMs))) {
    if (!wait || wait.signal?.aborted) return { claimed: false };
    wait.onHeld?.();
    try {
      await delay(wait.pollMs, undefined, { signal: wait.signal });
    } catch {
      return { claimed: false };
    }
  }
  let released = false;
  const lost = new AbortController();
  const loseClaim = () => {
    if (released || lost.signal.aborted) return;
    lost.abort(new RebuildClaimLost(indexName));
    onLost?.();
  };
  const lease: RebuildLease = {
    signal: lost.signal,
    async confirm() {
      lost.signal.throwIfAborted();
      if (!(await kv.extendIfEquals(key, token, leaseMs))) loseClaim();
      lost.signal.throwIfAborted();
    },
  };
  // A renewal the store did not answer is tried again at the next beat: three beats fit a lease.
  const renewal = setInterval(() => {
    void kv.extendIfEquals(key, token, leaseMs).then(
      (held) => {
        if (!held) loseClaim();
      },
      () => undefined,
    );
  }, leaseMs / 4);
  renewal.unref();
  const release = async () => {
    released = true;
    clearInterval(renewal);
    await kv.deleteIfEquals(key, token).catch(() => undefined);
  };
  onClaimed?.(release);
  try {
    return { claimed: true, result: await rebuild(lease) };
  } finally {
    await release();
  }
}
