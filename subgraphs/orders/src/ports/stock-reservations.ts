/**
 * The inventory subgraph's internal reservation API, per variant. The order id is the reservation id.
 * - reserve: all-or-nothing and idempotent per id; on success the id has a live hold: a
 *   repeat refreshes a held one's expiry, and takes the items of an expired or released one
 *   again; fails with OUT_OF_STOCK, QUANTITY_LIMIT_EXCEEDED, NOT_FOUND, or
 *   IDEMPOTENCY_CONFLICT (the id holds other items); an OUT_OF_STOCK with nothing available
 *   says in extensions.reserved how many units checkouts hold (0: sold out for good);
 * - commit: turns the hold into a sale; fails with RESERVATION_EXPIRED when an expired hold
 *   can no longer be re-reserved;
 * - release: gives the held units back (a hold that expired stays as it is); a committed
 *   (sold) hold is not undone: ILLEGAL_TRANSITION with extensions.from COMMITTED. With
 *   conditions, only a hold no other attempt of its id may still be placing: one the caller
 *   took and no reserve refreshed since (`ifExpiresAt`, what its reserve answered), or one no
 *   reserve touched for `ifIdleForMs`, or (`leaving`) one whose every try left: each reserve
 *   that answers counts a live try in, each leaving release (a refused try) one out, and the
 *   last one out frees it; another HELD one stays as it is.
 */
export interface StockReservations {
  /**
   * Answers whether this call took the units (a new hold, or one taken again) or found them
   * held by an earlier call of the id, and the expiry it left (a later reserve moves it on).
   */
  reserve(reservationId: string, items: readonly { variantId: string; quantity: number }[]): Promise<HeldStock>;
  commit(reservationId: string): Promise<void>;
  release(reservationId: string, conditions?: { ifExpiresAt?: Date; ifIdleForMs?: number; leaving?: true }): Promise<void>;
}

/** What a reserve answered: whether the call took the units, and the hold's expiry it left. */
export interface HeldStock {
  taken: boolean;
  expiresAt: Date;
}
