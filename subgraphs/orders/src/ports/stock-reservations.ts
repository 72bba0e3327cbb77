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
 *   (sold) hold is not undone: ILLEGAL_TRANSITION with extensions.from COMMITTED.
 */
export interface StockReservations {
  reserve(reservationId: string, items: readonly { variantId: string; quantity: number }[]): Promise<void>;
  commit(reservationId: string): Promise<void>;
  release(reservationId: string): Promise<void>;
}
