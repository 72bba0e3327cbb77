/** A quantity of one product variant, as asked for or as held by a reservation. */
export interface StockItem {
  variantId: string;
  quantity: number;
}

/**
 * Stock of one variant in the ledger (the truth). A product without options has one variant,
 * whose id is the product's id (kernel/src/catalog/variant-id.ts).
 */
export interface StockLevel {
  variantId: string;
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
  /** Sorted by variant id. */
  items: StockItem[];
}

/**
 * How a committed ledger change moved `available`, per variant: what the Redis mirror must
 * add to stay equal to the ledger. `available` is the value after the change.
 */
export interface AvailabilityChange {
  variantId: string;
  delta: number;
  available: number;
}

/**
 * A product as the inventory knows it: its id and, when the gateway sends them (@requires),
 * its variants' ids; the products subgraph owns the rest.
 */
export interface ProductReference {
  id: string;
  variants?: readonly { id: string }[] | null;
}

/** A variant as the inventory knows it: by id only. */
export interface VariantReference {
  id: string;
}
