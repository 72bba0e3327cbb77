import { DomainError, ErrorCode, outOfStock } from "#kernel";
import type { StockReservations } from "../../src/ports/stock-reservations.js";

type Status = "HELD" | "COMMITTED" | "RELEASED";

/**
 * The inventory's reservation contract in memory, for tests of the orders service without
 * the inventory subgraph: idempotent per id (IDEMPOTENCY_CONFLICT for the same id with other
 * items; a released id holds its items again), all-or-nothing, OUT_OF_STOCK when short (with
 * nothing left, extensions.reserved: the units held), a release under conditions kept for a
 * hold reserved again since or lately (by its last reserve), a leaving release counting a try
 * out of the live tries every reserve counted in (the last one out frees the hold),
 * RESERVATION_EXPIRED on commit for ids marked expired, and ILLEGAL_TRANSITION (from COMMITTED)
 * on releasing a sold hold. Sold units come back through
 * `returns` at most once per id, as the inventory applies a StockReturnRequested event.
 */
export function createInMemoryStockReservations(stock: Record<string, number>) {
  const available = new Map(Object.entries(stock));
  const reservations = new Map<string, { status: Status; items: { variantId: string; quantity: number }[]; expiresAt: Date; reservedAt: number; liveTries: number }>();
  // Each reserve moves its hold's expiry a time to live past now, and (a clock that never
  // repeats) past the expiry an earlier reserve answered.
  const ttlMs = 15 * 60_000;
  let lastExpiry = 0;
  const nextExpiry = () => new Date((lastExpiry = Math.max(lastExpiry + 1, Date.now() + ttlMs)));
  const expired = new Set<string>();
  const calls = { reserve: 0, commit: 0, release: 0, putBack: 0 };
  const putBack = new Map<string, { variantId: string; quantity: number }[]>();
  let duringNextReserve: (() => Promise<void>) | undefined;
  let beforeNextReserve: (() => Promise<void>) | undefined;
  let afterNextCommit: (() => Promise<void>) | undefined;
  let beforeNextRelease: (() => Promise<void>) | undefined;

  /** Units of a variant held now, as the inventory tells with an OUT_OF_STOCK of nothing left. */
  const held = (variantId: string) =>
    [...reservations.values()].filter((r) => r.status === "HELD").reduce((sum, r) => sum + r.items.filter((i) => i.variantId === variantId).reduce((n, i) => n + i.quantity, 0), 0);

  async function commitOf(id: string): Promise<void> {
    calls.commit += 1;
    const reservation = reservations.get(id);
    if (!reservation) throw new DomainError(ErrorCode.NOT_FOUND, `Reservation ${id} was not found`);
    if (expired.has(id) && reservation.status === "HELD") {
      reservation.status = "RELEASED";
      for (const { variantId, quantity } of reservation.items) available.set(variantId, available.get(variantId)! + quantity);
      throw new DomainError(ErrorCode.RESERVATION_EXPIRED, "The reservation expired");
    }
    // As the inventory: a released hold is taken again, all or none, or the commit is refused.
    if (reservation.status === "RELEASED") {
      if (reservation.items.some(({ variantId, quantity }) => available.get(variantId)! < quantity)) throw new DomainError(ErrorCode.RESERVATION_EXPIRED, "The reservation expired");
      for (const { variantId, quantity } of reservation.items) available.set(variantId, available.get(variantId)! - quantity);
      reservation.status = "COMMITTED";
    }
    if (reservation.status === "HELD") reservation.status = "COMMITTED";
  }

  const port: StockReservations = {
    async reserve(id, items) {
      const before = beforeNextReserve;
      beforeNextReserve = undefined;
      await before?.();
      calls.reserve += 1;
      const existing = reservations.get(id);
      if (existing) {
        if (JSON.stringify(existing.items) !== JSON.stringify(items)) throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Reservation ${id} holds other items`);
        if (existing.status === "HELD") [existing.expiresAt, existing.reservedAt, existing.liveTries] = [nextExpiry(), Date.now(), existing.liveTries + 1];
        if (existing.status !== "RELEASED") return { taken: false, expiresAt: existing.expiresAt };
      }
      for (const { variantId, quantity } of items) {
        const left = available.get(variantId) ?? 0;
        if (left < quantity) {
          const refusal = outOfStock(variantId, left);
          if (left === 0) refusal.extensions.reserved = held(variantId);
          throw refusal;
        }
      }
      for (const { variantId, quantity } of items) available.set(variantId, available.get(variantId)! - quantity);
      const expiresAt = nextExpiry();
      reservations.set(id, { status: "HELD", items: [...items], expiresAt, reservedAt: Date.now(), liveTries: (existing?.liveTries ?? 0) + 1 });
      const during = duringNextReserve;
      duringNextReserve = undefined;
      await during?.();
      return { taken: true, expiresAt };
    },
    async commit(id) {
      await commitOf(id);
      const after = afterNextCommit;
      afterNextCommit = undefined;
      await after?.();
    },
    async release(id, conditions = {}) {
      const before = beforeNextRelease;
      beforeNextRelease = undefined;
      await before?.();
      calls.release += 1;
      const reservation = reservations.get(id);
      // As the inventory: a sale is not undone by a release.
      if (reservation?.status === "COMMITTED") {
        throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `Reservation ${id} is COMMITTED and cannot become RELEASED`, { reservationId: id, from: "COMMITTED", to: "RELEASED" });
      }
      if (!reservation || reservation.status !== "HELD") return;
      const { ifExpiresAt, ifIdleForMs, leaving } = conditions;
      if (leaving) reservation.liveTries = Math.max(reservation.liveTries - 1, 0);
      if (ifExpiresAt !== undefined || ifIdleForMs !== undefined || leaving) {
        const asReserved = ifExpiresAt !== undefined && reservation.expiresAt.getTime() <= ifExpiresAt.getTime();
        const idle = ifIdleForMs !== undefined && reservation.reservedAt <= Date.now() - ifIdleForMs;
        const leftLast = leaving === true && reservation.liveTries === 0;
        if (!asReserved && !idle && !leftLast) return;
      }
      reservation.status = "RELEASED";
      for (const { variantId, quantity } of reservation.items) available.set(variantId, available.get(variantId)! + quantity);
    },
  };
  const returns = {
    async putBack(id: string, items: readonly { variantId: string; quantity: number }[]): Promise<void> {
      calls.putBack += 1;
      if (putBack.has(id)) return;
      putBack.set(id, [...items]);
      for (const { variantId, quantity } of items) available.set(variantId, (available.get(variantId) ?? 0) + quantity);
    },
  };
  return {
    port,
    returns,
    calls,
    /** What came back under each id, once. */
    putBack: (id: string) => putBack.get(id),
    available: (variantId: string) => available.get(variantId) ?? 0,
    statusOf: (id: string) => reservations.get(id)?.status,
    expire: (id: string) => void expired.add(id),
    /** Makes a hold look reserved `ms` ago, its taker gone since (a process killed, say). */
    idle: (id: string, ms: number) => {
      const reservation = reservations.get(id)!;
      reservation.expiresAt = new Date(reservation.expiresAt.getTime() - ms);
      reservation.reservedAt -= ms;
    },
    /** Runs `step` while the next hold is taken: between a checkout's pricing and its order. */
    duringNextReserve: (step: () => Promise<void>) => void (duringNextReserve = step),
    /** Runs `step` once the next commit has sold its hold, before the commit answers: a payment outcome between its two writes. */
    afterNextCommit: (step: () => Promise<void>) => void (afterNextCommit = step),
    /** Runs `step` before the next hold is looked at: a checkout priced, its hold not taken yet. */
    beforeNextReserve: (step: () => Promise<void>) => void (beforeNextReserve = step),
    /** Runs `step` before the next release is looked at: a refused checkout about to give its hold back. */
    beforeNextRelease: (step: () => Promise<void>) => void (beforeNextRelease = step),
  };
}
