/** A quantity of one product, as asked for or as held by a reservation. */
export interface StockItem {
  productId: string;
  quantity: number;
}

/** Stock of one product in the ledger (the truth). */
export interface StockLevel {
  productId: string;
  /** Units free to sell. */
  available: number;
  /** Units held by reservations awaiting payment. */
  reserved: number;
}

export type ReservationStatus = "HELD" | "COMMITTED" | "RELEASED" | "EXPIRED";

/** Stock held for one checkout; its id is the order id. */
export interface Reservation {
  id: string;
  status: ReservationStatus;
  expiresAt: Date;
  /** Sorted by product id. */
  items: StockItem[];
}

/**
 * How a committed ledger change moved `available`, per product: what the Redis mirror must
 * add to stay equal to the ledger. `available` is the value after the change.
 */
export interface AvailabilityChange {
  productId: string;
  delta: number;
  available: number;
}

/** A product as the inventory knows it: by id only; the products subgraph owns the rest. */
export interface ProductReference {
  id: string;
}
