/**
 * Stock that never oversells: the rules, and how Redis and PostgreSQL stay consistent.
 *
 * Invariants
 * 1. PostgreSQL (the ledger) is the truth. A reservation exists exactly when its units moved
 *    from `available` to `reserved` in the same transaction. Every decrement is conditional
 *    (`WHERE available >= quantity`) and CHECK constraints forbid negatives, so no
 *    interleaving of requests, processes or failures can sell a unit twice: the proofs'
 *    "exactly 50" is decided here, with or without Redis.
 * 2. Redis (the mirror) holds each variant's `available` as a fast admission gate and read
 *    cache. It is written first on the hot path: one Lua script checks every item and
 *    decrements all of them or none. Its "no" answers a sold-out variant without touching
 *    PostgreSQL; its "yes" is only a pass to the ledger, which may still refuse, and then the
 *    units are given back. A wrong "yes" costs a ledger round trip, never a sale.
 * 3. Epochs make every change count exactly once in the mirror. A rebuild fences out every
 *    stock change (exclusive advisory lock) only for a moment: it stores a fresh epoch in
 *    PostgreSQL, starts the Redis rebuild at that epoch (the marker goes, so no process uses
 *    the old counters) and takes its snapshot. Then changes go on while it reads the levels
 *    and writes them to Redis; the mirror keeps the deltas fenced by the new epoch for the
 *    counters not written yet and adds them as it writes, then sets the marker. Every change
 *    reads the epoch under the shared fence, so it is either in a snapshot or reports the
 *    epoch whose counters lack it; it is then applied with that epoch as a fence ("only if
 *    the marker is still E, or the rebuild at E runs"), unless this request's own admission
 *    already decremented epoch E. Give-backs are fenced by the admission's epoch, so a
 *    rebuild in between never double-counts.
 * 4. Nothing stale is trusted. A process trusts the mirror only after rebuilding it on its
 *    current connection session, or adopting a newer marker that the ledger confirms as its
 *    current epoch while trusted, or finding it provably current (at its start, after a
 *    reconnection, or once another process's rebuild ends): the rebuild's last atomic step
 *    recorded it complete on the server's current run, its epoch is the ledger's current
 *    one, no admission at it went without its outcome past the rule of 8, and no doubt of
 *    this process predates it. Redis restarted empty has no marker, one restored from a
 *    snapshot shows another run; any reconnection changes the session; a write whose outcome
 *    is unknown (timeout, dropped connection, ledger error after an admission) raises a doubt.
 *    Each leads to a rebuild from the ledger (or an adoption as above) before the mirror is
 *    used again; while one runs, the ledger alone decides. A start rebuilds only when it
 *    cannot prove the mirror current, so a rolling restart leaves every fast path on.
 * 5. Redis down: admission is skipped and the ledger alone decides (row locks and
 *    conditional updates), so selling continues correctly, a little slower.
 * 6. No Redis lock is needed: the critical sections are PostgreSQL's (row locks, the fence),
 *    which stay available exactly when Redis is not, and cost no extra round trip.
 * 7. Every change of `available` writes a StockChanged event in its transaction (outbox).
 * 8. No unit is stranded by a process that stops between the mirror and the ledger (killed,
 *    hung, cut off). Each admission is recorded in the mirror, by the mirror's clock, until its
 *    outcome is settled there; one left unsettled for UNSETTLED_ADMISSION_MS at the current
 *    epoch makes any process that finds it rebuild, which puts the units back from the
 *    ledger. The stopped process's later write, if it ever wakes, is counted once by 3.
 *    A change that gives units back (a release, a return, a restock, an expiry) is recorded
 *    the same way before its ledger write and settled once the mirror holds it: a process
 *    stopped after the commit and before the adjust would otherwise leave the counters short
 *    of those units on every process until one restarted. A commit that takes an expired
 *    hold's units again is not recorded: a mirror left holding them admits a buyer the
 *    ledger then refuses, which sells nothing wrongly.
 */
import { badInput, validIdempotencyKey, validVariantTarget, type Logger, type VariantTarget } from "#kernel";
import { outOfStockHolding, reservationConflict, reservationExpired, restockConflict, unknownProduct, unknownReservation, unknownVariant, variantRequired } from "./inventory.errors.js";
import { sameItems, validReservation, validReservationId, validRestock } from "./stock-rules.js";
import type { Reservation, StockItem, StockLevel } from "./stock.js";
import { createStockMirror, type StockMirrorOptions } from "./stock-mirror.js";
import type { StockCache } from "../ports/stock-cache.js";
import type { LedgerReserveResult, StockLedger } from "../ports/stock-ledger.js";
import type { ProductCatalog } from "../ports/product-catalog.js";

export interface InventoryServiceDeps {
  ledger: StockLedger;
  cache: StockCache;
  catalog: ProductCatalog;
  logger: Logger;
  reservationTtlMs: number;
  maxQuantityPerOrder: number;
  clock?: () => Date;
  /** Called after a transaction wrote outbox events, so the relay publishes them at once. */
  onOutboxWrite?: () => void;
  /** Timings of the stock mirror's checks (tests shorten them). */
  mirror?: StockMirrorOptions;
}

export function createInventoryService(deps: InventoryServiceDeps) {
  const { ledger, catalog, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const nudge = deps.onOutboxWrite ?? (() => {});
  const mirror = createStockMirror({ ...deps.mirror, cache: deps.cache, ledger, logger });

  const levelOf = async (variantId: string): Promise<StockLevel | undefined> => (await ledger.levels([variantId])).get(variantId);
  /** Units of a variant held by checkouts, as long as none is free; undefined otherwise. */
  const heldWhenNoneLeft = async (variantId: string): Promise<number | undefined> => {
    const level = await levelOf(variantId);
    return level && level.available === 0 ? level.reserved : undefined;
  };

  /** A repeated request for an existing reservation: the same answer, if it asks the same. */
  function repeated(existing: Reservation, items: readonly StockItem[]): Reservation {
    if (!sameItems(existing.items, items)) throw reservationConflict(existing.id);
    return existing;
  }

  return {
    mirror,

    /**
     * Holds every item for `reservationTtlMs`, or none (OUT_OF_STOCK names the variant and
     * its available count). Repeating a request with the same id returns the same reservation:
     * a live hold gets a fresh expiry, and one that expired or was released holds its items
     * again (or OUT_OF_STOCK), so a HELD answer is always a live hold. `taken` says whether
     * this call took the units (a new hold, or one taken again) or found them held already.
     */
    async reserve(reservationId: string, requested: readonly StockItem[]): Promise<Reservation & { taken: boolean }> {
      const { reservationId: id, items } = validReservation(reservationId, requested, deps.maxQuantityPerOrder);
      const admission = await mirror.admit(id, items);
      // Sold out in the mirror. A repeat of an id still goes to the ledger, which refreshes it,
      // takes its units again or refuses: the mirror admitted nothing for this call, so the
      // ledger's answer is settled below like any unadmitted change. A repeat is an id the
      // ledger holds, or one the mirror admitted lately: a second tab or a retry racing the
      // first call, whose ledger write may still be under way (the ledger takes one id's
      // writes one at a time, so the repeat then finds it).
      if (admission.kind === "short" && !admission.admittedBefore) {
        // Nothing left in the mirror: the ledger says how many units checkouts hold (for the
        // caller's sold-out memo), read alongside the repeat check. When the ledger has units
        // the mirror has not counted back yet (a give-back settling), the ledger decides.
        const [repeat, level] = await Promise.all([ledger.reservation(id), admission.available === 0 ? levelOf(admission.variantId) : undefined]);
        if (!repeat && !(level && level.available > 0)) throw outOfStockHolding(admission.variantId, admission.available, level?.reserved);
      }
      const now = clock();
      let result: LedgerReserveResult;
      try {
        result = await ledger.reserve({ reservationId: id, items, expiresAt: new Date(now.getTime() + deps.reservationTtlMs), now });
      } catch (error) {
        // Committed or not? Unknown, so the admitted units can be neither kept nor given back.
        if (admission.kind === "admitted") mirror.doubt("ledger failed after an admission", error);
        throw error;
      }
      if (result.kind !== "reserved") {
        if (admission.kind === "admitted") await mirror.giveBack(admission, items);
        if (result.kind === "existing") return { ...repeated(result.reservation, items), taken: false };
        if (result.kind === "short") throw outOfStockHolding(result.variantId, result.available, result.available === 0 ? await heldWhenNoneLeft(result.variantId) : undefined);
        throw unknownVariant(result.variantId);
      }
      if (admission.kind === "bypass" && admission.missingVariantId !== undefined) mirror.doubt(`counter of ${admission.missingVariantId} missing`);
      await mirror.settle(result.change, admission.kind === "admitted" ? admission : undefined);
      nudge();
      return { ...result.reservation, taken: true };
    },

    /**
     * Sells the held units (payment succeeded). A reservation that expired or was released
     * takes its items again, all or none; if they are gone: RESERVATION_EXPIRED, no change.
     */
    async commit(reservationId: string): Promise<Reservation> {
      const id = validReservationId(reservationId);
      const result = await ledger.commit(id, clock());
      if (!result) throw unknownReservation(id);
      if (result.kind === "short") throw reservationExpired(id, result.variantId, result.available);
      await mirror.settle(result.change);
      if (result.change.changes.length > 0) nudge();
      return result.reservation;
    },

    /**
     * Gives held units back (payment failed, order cancelled); idempotent. With conditions,
     * only a hold no live attempt of its id may still be placing: one the caller took and no
     * reserve refreshed since (`ifExpiresAt`, the expiry its reserve answered), or one no
     * reserve touched for `ifIdleForMs` (by the hold's own last-reserve time: a TTL changed
     * since it was taken says nothing of its age), or (`leaving`, a refused try whose reserve
     * counted it in) one whose every counted try has left. Another HELD one is answered
     * unchanged: two tabs or a retry share an order id, and a refused one must not free the
     * hold its twin is placing an order on.
     */
    async release(reservationId: string, conditions: { ifExpiresAt?: Date | null; ifIdleForMs?: number | null; leaving?: boolean | null } = {}): Promise<Reservation> {
      const id = validReservationId(reservationId);
      const { ifExpiresAt = null, ifIdleForMs = null, leaving = null } = conditions;
      if (ifIdleForMs !== null && (!Number.isSafeInteger(ifIdleForMs) || ifIdleForMs < 0)) throw badInput("ifIdleForMs is a whole number of milliseconds, 0 or more", { field: "ifIdleForMs" });
      if (ifExpiresAt !== null && Number.isNaN(ifExpiresAt.getTime())) throw badInput("ifExpiresAt is an ISO 8601 instant", { field: "ifExpiresAt" });
      const expected = await mirror.expectGiveBack();
      const now = clock();
      const result = await ledger.release(id, now, {
        ...(ifExpiresAt !== null && { expiringBy: ifExpiresAt }),
        ...(ifIdleForMs !== null && { reservedBy: new Date(now.getTime() - ifIdleForMs) }),
        ...(leaving === true && { leaving: true }),
      });
      if (!result) {
        await mirror.withdraw(expected);
        throw unknownReservation(id);
      }
      await mirror.settle(result.change, expected);
      if (result.change.changes.length > 0) nudge();
      return result.reservation;
    },

    /**
     * Puts sold units back (a paid order cancelled, a return approved), once per id however
     * often it is asked: the orders subgraph calls it under its order lock and may repeat it.
     */
    async returnStock(returnId: string, requested: readonly StockItem[]): Promise<{ id: string; items: StockItem[] }> {
      // Units that were sold come back whatever today's per-order limit is: a limit lowered
      // since the sale must not keep them off sale (the return would fail on every delivery).
      const { reservationId: id, items } = validReservation(returnId, requested, Number.MAX_SAFE_INTEGER);
      const expected = await mirror.expectGiveBack();
      const result = await ledger.putBack(id, items, clock());
      await mirror.settle(result.change, expected);
      if (result.change.changes.length > 0) nudge();
      if (!result.repeated) logger.info("sold units put back", { returnId: id, items: items.length });
      return { id, items };
    },

    /** Expires up to `limit` reservations past their time and returns their units; how many. */
    async expireDue(limit: number): Promise<number> {
      const expected = await mirror.expectGiveBack();
      const { expired, change } = await ledger.expireDue(clock(), limit);
      await mirror.settle(change, expected);
      if (expired.length === 0) return 0;
      nudge();
      logger.info("reservations expired", { count: expired.length, reservationIds: expired.slice(0, 20) });
      return expired.length;
    },

    /** Whether a held reservation is past its time, by this service's clock. */
    async anyDue(): Promise<boolean> {
      const next = await ledger.nextExpiry();
      return next !== null && next.getTime() <= clock().getTime();
    },

    /**
     * Adds units to one variant (admin), named by its id, or by its product's id when the
     * product has a single variant (VARIANT_REQUIRED otherwise). A variant the catalog knows
     * but the inventory does not yet is created; one the catalog does not know is NOT_FOUND.
     * The idempotency key names the delivery: its units are added once, however often the
     * call is repeated or doubled; a repeat answers the level as it is now, and the key reused
     * for another variant or quantity is IDEMPOTENCY_CONFLICT (nothing added). Required, as a
     * restock has no natural key to tell a retry from a second delivery of the same units.
     */
    async restock(target: VariantTarget, quantity: number, idempotencyKey: string): Promise<StockLevel> {
      const { variantId, productId } = validVariantTarget(target);
      const key = validIdempotencyKey(idempotencyKey);
      let id = variantId;
      if (id === undefined) {
        // Validated before the catalog is asked, so a refused request costs nothing.
        validRestock(productId!, quantity);
        const variants = await catalog.variantIdsOf(productId!);
        if (!variants || variants.length === 0) throw unknownProduct(productId!);
        if (variants.length > 1) throw variantRequired(productId!, variants.length);
        id = variants[0]!;
      }
      const item = validRestock(id, quantity);
      const expected = await mirror.expectGiveBack();
      let restocked = await ledger.restock(item, clock(), key);
      if (!restocked) {
        if (variantId !== undefined && !(await catalog.variantExists(item.variantId))) {
          await mirror.withdraw(expected);
          throw unknownVariant(item.variantId);
        }
        // The variant's level is created empty, then restocked like any other: twins of one
        // key (a double click on a new product) then meet at the same row and the same key.
        const created = await ledger.createLevels([{ variantId: item.variantId, available: 0 }], (epoch, rows) => mirror.load(epoch, rows), clock());
        if (created.length > 0) nudge();
        restocked = await ledger.restock(item, clock(), key);
        if (!restocked) {
          await mirror.withdraw(expected);
          throw unknownVariant(item.variantId);
        }
      }
      if (restocked.repeatOf) {
        await mirror.withdraw(expected);
        if (!sameItems(restocked.repeatOf, [item])) throw restockConflict(key);
        return restocked.level;
      }
      await mirror.settle(restocked.change, expected);
      nudge();
      return restocked.level;
    },

    /** Records the initial stock of variants that have none (seeding); returns how many were new. */
    async seedStock(levels: readonly { variantId: string; stock: number }[]): Promise<number> {
      for (const { variantId, stock } of levels) {
        if (!Number.isInteger(stock) || stock < 0) throw badInput(`Seed stock of ${variantId} must be a whole number >= 0`);
      }
      const created = await ledger.createLevels(
        levels.map(({ variantId, stock }) => ({ variantId, available: stock })),
        (epoch, rows) => mirror.load(epoch, rows),
        clock(),
      );
      if (created.length > 0) nudge();
      return created.length;
    },

    /**
     * Units free to sell per variant (0 for variants without stock): one mirror read, and
     * one ledger query for whatever the mirror cannot answer.
     */
    async availability(variantIds: readonly string[]): Promise<Map<string, number>> {
      if (variantIds.length === 0) return new Map();
      const cached = await mirror.read(variantIds);
      const result = new Map(cached ?? []);
      const missing = variantIds.filter((id) => !result.has(id));
      if (missing.length > 0) {
        const levels = await ledger.levels(missing);
        for (const id of missing) result.set(id, levels.get(id)?.available ?? 0);
        const lost = cached ? missing.find((id) => levels.has(id)) : undefined;
        if (lost !== undefined) mirror.doubt(`counter of ${lost} missing`);
      }
      return result;
    },

    /**
     * The variants with stock recorded for each product, from the ledger's product column: for
     * a product asked for without its variants (a caller that did not send them).
     */
    variantsOf: (productIds: readonly string[]) => ledger.variantsOf(productIds),

    /** The truth for one reservation (tests and diagnostics). */
    reservation: (reservationId: string) => ledger.reservation(reservationId),
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
