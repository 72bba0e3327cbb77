import type { StockItem } from "../domain/stock.js";

export type CacheReserveOutcome =
  | { kind: "reserved" }
  /** The mirror is at another epoch (null: not built); nothing changed. */
  | { kind: "stale"; epoch: string | null }
  /** No counter for this variant; nothing changed. */
  | { kind: "missing"; variantId: string }
  | { kind: "short"; variantId: string; available: number };

/**
 * The hot-path mirror of each variant's `available` (Redis), fenced by an epoch marker.
 * Guarantees every adapter keeps (the contract suite checks them):
 * - each call is atomic, whatever the number of processes;
 * - calls that take an epoch change nothing unless the marker equals it, so a command from
 *   before a rebuild (late, retried, from a process that lost track) can never corrupt the
 *   rebuilt counters;
 * - `reserve` decrements every counter or none, and never below zero;
 * - `session()` changes whenever the connection is (re)established: what the engine holds
 *   after a restart is unverified until the next rebuild.
 * A call that throws may or may not have been applied.
 */
export interface StockCache {
  readonly engine: string;
  session(): number;
  /** When the marker equals `epoch` and every variant has enough: decrements all. */
  reserve(epoch: string, items: readonly StockItem[]): Promise<CacheReserveOutcome>;
  /** When the marker equals `epoch`: adds each delta to the counters that exist. Returns whether it did. */
  adjust(epoch: string, deltas: readonly { variantId: string; delta: number }[]): Promise<boolean>;
  /** When the marker equals `epoch`: sets the counters of variants new to the ledger. */
  load(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<boolean>;
  /** The marker and the counters (null where missing), read in one atomic step. */
  read(variantIds: readonly string[]): Promise<{ epoch: string | null; available: (number | null)[] }>;
  /** Drops the marker and every counter, writes `levels`, then sets the marker to `epoch`. */
  replace(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<void>;
  close(): Promise<void>;
}
