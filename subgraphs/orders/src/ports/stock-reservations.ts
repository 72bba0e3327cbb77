/**
 * The inventory subgraph's internal reservation API. The order id is the reservation id.
 * - reserve: all-or-nothing and idempotent per id; fails with OUT_OF_STOCK,
 *   QUANTITY_LIMIT_EXCEEDED or NOT_FOUND;
 * - commit: turns the hold into a sale; fails with RESERVATION_EXPIRED when an expired hold
 *   can no longer be re-reserved;
 * - release: gives the held units back (a hold that expired stays as it is).
 */
export interface StockReservations {
  reserve(reservationId: string, items: readonly { productId: string; quantity: number }[]): Promise<void>;
  commit(reservationId: string): Promise<void>;
  release(reservationId: string): Promise<void>;
}
