import type { AvailabilityChange, Reservation, StockItem, StockLevel } from "../domain/stock.js";
import type { ReleaseConditions } from "../domain/stock-rules.js";

/**
 * A committed ledger change: which epoch of the Redis mirror it belongs to (read under the
 * mirror fence, see `rebuildMirror`) and how it moved `available`.
 */
export interface LedgerChange {
  epoch: string;
  changes: AvailabilityChange[];
}

/** The mirror's side of a rebuild (see `StockLedger.rebuildMirror`). */
export interface MirrorRebuild {
  begin(epoch: string): Promise<void>;
  /**
   * Once aborted, the read of the levels stops at its next page and the rebuild rejects, the
   * mirror left unfilled (its lease lapses): a process that stops never waits for a read that
   * grows with the catalog.
   */
  signal?: AbortSignal;
  /**
   * Gets the snapshot's levels by pages, each read as the one before is consumed (a process
   * holds a page at a time, whatever the catalog's size); must consume every page. Rejects
   * when the mirror could not be filled at `epoch` (another rebuild took over, or a stop).
   */
  fill(epoch: string, levels: AsyncIterable<StockLevel[]>): Promise<void>;
}

export type LedgerReserveResult =
  /** Units taken: a new reservation, or an expired or released one held again. */
  | { kind: "reserved"; reservation: Reservation; change: LedgerChange }
  /**
   * A reservation with this id exists and no unit moved: HELD (its expiry refreshed),
   * COMMITTED, or holding other items than those asked for.
   */
  | { kind: "existing"; reservation: Reservation }
  | { kind: "short"; variantId: string; available: number }
  /** No stock is recorded for this variant. */
  | { kind: "unknown"; variantId: string };

export type LedgerCommitResult =
  | { kind: "committed"; reservation: Reservation; change: LedgerChange }
  /** It had expired or been released and its items could not all be taken again; nothing changed. */
  | { kind: "short"; reservation: Reservation; variantId: string; available: number };

/** A restock: the level after it, and for a key used before, what that key's first call added (nothing moved). */
export interface LedgerRestockResult {
  level: StockLevel;
  change: LedgerChange;
  repeatOf?: StockItem[];
}

/** Where a restock's key is kept: with put-backs' ids, which never start so. */
export const restockKeyId = (key: string) => `restock:${key}`;

/**
 * The truth about stock (PostgreSQL). Guarantees:
 * - `available` and `reserved` never go negative (conditional updates, CHECK constraints);
 * - every method is one transaction: a reservation holds all its items or none;
 * - stock rows are locked in variant-id order, so concurrent multi-item changes never deadlock;
 * - every change of `available` records a StockChanged event in the same transaction (outbox);
 * - every change reads the mirror epoch under a shared fence that `rebuildMirror` takes
 *   exclusively for a moment, so a change is either inside a rebuild's snapshot or reports
 *   the epoch of the mirror that does not contain it yet.
 */
export interface StockLedger {
  levels(variantIds: readonly string[]): Promise<Map<string, StockLevel>>;
  /** The variants with stock recorded, per product (absent: none), by the product id column. */
  variantsOf(productIds: readonly string[]): Promise<Map<string, string[]>>;
  reservation(reservationId: string): Promise<Reservation | null>;
  /**
   * Takes `items` (in lock order) from `available` into `reserved`, all or nothing, as a
   * reservation HELD until `expiresAt`. Reserving an id that exists never leaves a dead hold
   * behind a success (the id is the order id, so a retried checkout reserves it again):
   * - HELD with the same items: its expiry moves to `expiresAt`, and at least a millisecond past where it was (never earlier: each repeat leaves it later than any earlier answer); "existing";
   * - EXPIRED or RELEASED with the same items: the items are taken again, all or nothing, and
   *   it is HELD until `expiresAt`, answered "reserved" exactly like a new reservation (so the
   *   mirror counts it the same way), or "short"/"unknown" with nothing changed;
   * - COMMITTED, or other items: "existing", nothing changed.
   * Concurrent calls for one id decide one after the other (its row lock).
   */
  reserve(request: { reservationId: string; items: readonly StockItem[]; expiresAt: Date; now: Date }): Promise<LedgerReserveResult>;
  /**
   * HELD → COMMITTED (the units leave `reserved`); EXPIRED or RELEASED → takes the items
   * from `available` again, all or nothing, and commits; COMMITTED → unchanged.
   * Null when the reservation does not exist.
   */
  commit(reservationId: string, now: Date): Promise<LedgerCommitResult | null>;
  /**
   * HELD → RELEASED (units back to `available`); RELEASED and EXPIRED unchanged; COMMITTED
   * refused with ILLEGAL_TRANSITION. Null when the reservation does not exist. With
   * conditions, a HELD one they do not allow (see `releasable`: reserved again since, a live
   * attempt) is left unchanged, judged under the row's lock so no reserve can refresh it in
   * between. `leaving` counts a try out of the hold's live tries first (whatever else the
   * conditions say), and frees the hold when it was the last.
   */
  release(reservationId: string, now: Date, options?: ReleaseConditions): Promise<{ reservation: Reservation; change: LedgerChange } | null>;
  /**
   * Expires up to `limit` HELD reservations whose `expiresAt` has passed and returns their
   * units. Rows other transactions hold are skipped (SKIP LOCKED), so several processes can
   * sweep at once without waiting or expiring one twice.
   */
  expireDue(now: Date, limit: number): Promise<{ expired: string[]; change: LedgerChange }>;
  /** When the earliest HELD reservation expires (possibly already past); null when none is held. */
  nextExpiry(): Promise<Date | null>;
  /**
   * Adds sold units back to `available` (a paid order cancelled, a return approved), at most
   * once per `returnId`: a repeat changes nothing and answers `repeated`. Variants without
   * stock recorded any more are skipped. One transaction with its StockChanged events.
   */
  putBack(returnId: string, items: readonly StockItem[], now: Date): Promise<{ repeated: boolean; change: LedgerChange }>;
  /**
   * Adds units to `available`; null when no stock is recorded for the variant (nothing is
   * recorded then, the key included). With a key, at most once per key: a repeat, concurrent
   * or later, changes nothing and answers the level with `repeatOf`, what the key's first call
   * added (kept beside put-backs' ids as `restock:<key>`). One transaction with its event.
   */
  restock(item: StockItem, now: Date, key?: string): Promise<LedgerRestockResult | null>;
  /**
   * Records stock for variants that have none yet (existing rows are left alone) and returns
   * the rows it created. Before the transaction commits, `beforeCommit` gets them with the
   * epoch, so the mirror learns them before anyone can change them.
   */
  createLevels(
    levels: readonly { variantId: string; available: number }[],
    beforeCommit: (epoch: string, created: StockLevel[]) => Promise<void>,
    now: Date,
  ): Promise<StockLevel[]>;
  /**
   * Starts a new mirror epoch and fills the mirror at it. With every stock change fenced out
   * for a moment (the changes in flight commit first), it stores a fresh epoch, calls
   * `mirror.begin` before that commits, and takes its snapshot; then lets changes go on, reads
   * every level in that snapshot and hands them to `mirror.fill`. A change committed before
   * is in the snapshot; one after reports the new epoch (and the mirror keeps it for the fill).
   */
  rebuildMirror(mirror: MirrorRebuild): Promise<string>;
  /** The epoch of the last committed rebuild ("none" before the first), read under the shared fence. */
  currentEpoch(): Promise<string>;
  /**
   * Records that the mirror at `epoch` (the current one, when the write's epoch is not known)
   * may have lost count (a write of unknown outcome), so the doubt outlives the process: until
   * a rebuild replaces that epoch, no process adopts the mirror (`isDoubted`). Nothing is
   * recorded once a rebuild has replaced `epoch`, even one that committed while this waited:
   * the rebuild's fill does not hold the write, so its mirror is not in doubt.
   */
  recordDoubt(epoch?: string): Promise<void>;
  /** Whether a doubt was recorded against `epoch` and no rebuild replaced it since. */
  isDoubted(epoch: string): Promise<boolean>;
  close(): Promise<void>;
}
