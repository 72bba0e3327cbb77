import type { StockItem } from "../domain/stock.js";

export type CacheReserveOutcome =
  | { kind: "reserved" }
  /** The mirror is at another epoch (null: not built); nothing changed. */
  | { kind: "stale"; epoch: string | null }
  /** No counter for this variant; nothing changed. */
  | { kind: "missing"; variantId: string }
  /**
   * `admittedBefore`: this reservation id was admitted within the last `ADMISSION_MEMORY_MS`,
   * so its ledger write may still be under way (a second tab, a retry): the ledger decides.
   */
  | { kind: "short"; variantId: string; available: number; admittedBefore: boolean };

/**
 * How long the mirror remembers a reservation id it admitted: longer than any admission takes
 * to reach the ledger and commit, so a repeat of that id is never refused by the counters its
 * own first call emptied.
 */
export const ADMISSION_MEMORY_MS = 60_000;

/**
 * How long a rebuild stays "under way" without its loader renewing it, unless an adapter is told
 * otherwise: past that, other processes stop waiting for it and rebuild themselves.
 */
export const DEFAULT_REBUILD_LEASE_MS = 15_000;

/**
 * How long an admission may go without its outcome (the ledger's answer, settled in the
 * mirror) before its process counts as crashed or hung: far longer than a live one takes, so
 * only a process that stopped between the two is caught. Its units are then missing from the
 * counters until a rebuild (an undersell), so one is started.
 */
export const UNSETTLED_ADMISSION_MS = 30_000;

/** What a rebuild writes: every level at once, or pages of them as the ledger reads them. */
export type CounterLevels = readonly CounterLevel[] | AsyncIterable<readonly CounterLevel[]>;
export interface CounterLevel {
  variantId: string;
  available: number;
}

/** The levels as pages, whichever way they were given. */
export function pagesOf(levels: CounterLevels): AsyncIterable<readonly CounterLevel[]> | Iterable<readonly CounterLevel[]> {
  return Symbol.asyncIterator in levels ? levels : [levels];
}

/**
 * The hot-path mirror of each variant's `available` (Redis), fenced by an epoch marker.
 * Guarantees every adapter keeps (the contract suite checks them):
 * - each call is atomic, whatever the number of processes;
 * - calls that take an epoch change nothing unless the marker equals it, so a command from
 *   before a rebuild (late, retried, from a process that lost track) can never corrupt the
 *   rebuilt counters; while a rebuild at an epoch runs, calls fenced by that epoch are kept
 *   aside and counted into the counters it writes (see `beginRebuild`);
 * - `reserve` decrements every counter or none, and never below zero;
 * - `session()` changes whenever the connection is (re)established: what the engine holds
 *   after a restart is unverified until the next rebuild.
 * A call that throws may or may not have been applied.
 */
export interface StockCache {
  readonly engine: string;
  session(): number;
  /**
   * When the marker equals `epoch` and every variant has enough: decrements all, remembers
   * that `reservationId` was admitted (see `admittedBefore`), and records the admission
   * `token` with the engine's time until `settleAdmission` (see `unsettledAdmissions`).
   */
  reserve(epoch: string, reservationId: string, items: readonly StockItem[], token: string): Promise<CacheReserveOutcome>;
  /**
   * Records `token` with the engine's time, as `reserve` records an admission, for a ledger
   * change about to give units back that the counters do not hold yet (a release, a return, a
   * restock, an expiry), until `settleAdmission`: a process that stops between the ledger's
   * commit and `adjust` is found by `unsettledAdmissions` as one that stopped after an
   * admission is. Recorded at the marker's epoch, or the rebuild's under way, read in the same
   * atomic step (a process's own idea of the epoch may be older: then the record would be
   * dropped as moot while the change lands at the current one); returns that epoch, or null
   * (nothing recorded) when there is neither.
   */
  expectGiveBack(token: string): Promise<string | null>;
  /** The admission or give-back `token` reached its outcome: the ledger answered and the mirror holds it. */
  settleAdmission(epoch: string, token: string): Promise<void>;
  /**
   * Admissions recorded at least `olderThanMs` ago by the engine's clock and never settled,
   * at the marker's epoch: units their process took from the counters and never accounted
   * for. Those of any other epoch are dropped, in the same atomic step: a rebuild since
   * counted the ledger's truth, and settles what they do later by its epoch fence.
   */
  unsettledAdmissions(olderThanMs: number): Promise<number>;
  /**
   * When the marker equals `epoch`: adds each delta to the counters that exist. When a rebuild
   * at `epoch` runs: keeps each delta for the counter the rebuild writes (or adds it to the
   * one it wrote already). Returns whether it did either.
   */
  adjust(epoch: string, deltas: readonly { variantId: string; delta: number }[]): Promise<boolean>;
  /** Sets the counters of variants new to the ledger, at `epoch` (or in the rebuild at `epoch`). */
  load(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<boolean>;
  /**
   * The marker, the epoch of a rebuild under way (null when none, or its loader stopped
   * renewing it), and the counters (null where missing), read in one atomic step.
   */
  read(variantIds: readonly string[]): Promise<{ epoch: string | null; rebuilding: string | null; available: (number | null)[] }>;
  /**
   * The marker, when the engine vouches that its counters hold that rebuild's snapshot and
   * every write applied since: the rebuild finished (its last atomic step, the one that sets
   * the marker, records it) and the engine has not restarted since, so nothing written since
   * was lost. Null otherwise: no rebuild finished, one began since, or the engine restarted
   * (a restart that restored a snapshot shows an old marker over counters that lack the
   * writes made after the snapshot).
   */
  completedEpoch(): Promise<string | null>;
  /**
   * Starts a rebuild at `epoch` and takes it over from any other: drops the marker (so every
   * call fenced by an older epoch is refused from here on) and from now keeps the deltas and
   * loads of calls fenced by `epoch` for `fillRebuild`. Quick: the ledger calls it while stock
   * changes are held back, so that a change committed after that reports `epoch` and is
   * never lost.
   */
  beginRebuild(epoch: string): Promise<void>;
  /** Renews the lease of the rebuild at `epoch` while its loader still works; false when it is not the one under way. */
  renewRebuild(epoch: string): Promise<boolean>;
  /**
   * Replaces every counter with `levels` (the ledger's snapshot at `epoch`) plus the deltas
   * kept for each, writes the variants loaded since `beginRebuild`, then sets the marker to
   * `epoch`. Stock changes go on meanwhile. False, and nothing more written, when another
   * rebuild took over or this one went unrenewed past its lease, or once `signal` aborts (its
   * next chunk is not written and the marker is not set).
   */
  fillRebuild(epoch: string, levels: CounterLevels, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}
