import type { KeyValueStore, Logger } from "#kernel";
import type { RebuildLease, SearchIndex, StorageOrder } from "../ports/search-index.js";
import { withRebuildClaim } from "./rebuild-claim.js";

/**
 * Keeps the search index stored newest first, which is what keeps a relevance page's cost from
 * growing with the catalog.
 *
 * Why: recency is part of a relevance score (recency-rank.ts), and the engine skips every block
 * of matches whose best score cannot make the page. On an index stored newest first the page's
 * best matches lie in the first blocks and nearly all later ones are skipped; every product
 * appended after them is newer than all of them, so it is scored. On an index filled by live
 * changes alone (a catalog loaded through its change events, or grown since its last rebuild)
 * that is every equally good match: at 2,000,000 products, 12,023 matches scored a search and
 * 27 ms of engine CPU, against a few hundred and a few ms stored newest first (BENCHMARKS.md,
 * "Write order at 2,000,000 products"). So when the products appended since the last rebuild
 * grow past a share of the index, and the writing has settled, the index is rebuilt in the
 * background (searches answer from the current one meanwhile).
 */
export interface ReorderPolicy {
  /** Appended products below this never call for a rebuild: a page scores at most these. */
  minAppended: number;
  /** Appended products past this share of those written in order call for a rebuild. */
  appendedShare: number;
  /** Growth between two checks up to this share of the index counts as settled (no bulk load running). */
  settledShare: number;
}

export const REORDER_POLICY: ReorderPolicy = { minAppended: 10_000, appendedShare: 0.2, settledShare: 0.01 };

/** Whether the index should be rebuilt in order now, given what the previous check saw. */
export function reorderDue(previous: StorageOrder | undefined, now: StorageOrder, policy: ReorderPolicy = REORDER_POLICY): boolean {
  const appended = now.documents - now.writtenInOrder;
  if (appended <= Math.max(policy.minAppended, policy.appendedShare * now.writtenInOrder)) return false;
  // A load still running would make the rebuild stale before it ends: wait until it settles.
  return previous !== undefined && now.documents - previous.documents <= policy.settledShare * now.documents;
}

export interface SearchOrderKeeperOptions {
  index: SearchIndex;
  kv: KeyValueStore;
  /** Names the index among deployments sharing the cache (one rebuild at a time across replicas). */
  indexName: string;
  intervalMs: number;
  /**
   * Rebuilds from the catalog; resolves false when a rebuild of this process is already running.
   * Called holding the rebuild claim, so it may delete what a dead rebuild left (RebuildOptions).
   */
  rebuild: (options: { dropAbandonedBuilds: true; lease: RebuildLease }) => Promise<boolean>;
  logger?: Logger;
  policy?: ReorderPolicy;
}

/**
 * Checks the index's order every `intervalMs` and rebuilds it when due (see reorderDue). One
 * replica rebuilds: the claim is a cache key held for the rebuild's length.
 */
export function startSearchOrderKeeper(options: SearchOrderKeeperOptions): { check(): Promise<boolean>; stop(): void } {
  let previous: StorageOrder | undefined;
  let checking: Promise<boolean> | undefined;

  async function checkOnce(): Promise<boolean> {
    const now = await options.index.storageOrder();
    const due = reorderDue(previous, now, options.policy);
    previous = now;
    if (!due) return false;
    const outcome = await withRebuildClaim(options.kv, options.indexName, async (lease) => {
      // Another replica may have rebuilt it between the look above and this claim.
      const claimed = await options.index.storageOrder();
      if (!reorderDue(now, claimed, options.policy)) return false;
      options.logger?.info("search index is rebuilt newest first: products appended since its last rebuild make relevance pages score them all", {
        documents: now.documents,
        writtenInOrder: now.writtenInOrder,
      });
      const rebuilt = await options.rebuild({ dropAbandonedBuilds: true, lease });
      previous = undefined;
      return rebuilt;
    });
    return outcome.claimed && outcome.result;
  }

  const check = (): Promise<boolean> => {
    checking ??= checkOnce().finally(() => {
      checking = undefined;
    });
    return checking;
  };
  const timer = setInterval(() => {
    check().catch((error: unknown) => options.logger?.warn("checking the search index's order failed; the next check tries again", { error: String(error) }));
  }, options.intervalMs);
  timer.unref();
  return {
    check,
    // A rebuild under way is left to finish or fail with the process, as at start.
    stop: () => clearInterval(timer),
  };
}
