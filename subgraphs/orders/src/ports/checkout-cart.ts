import type { Money } from "#kernel";

/** A cart line at checkout: the price the customer accepted and the catalog's price now. */
export interface CheckoutLine {
  productId: string;
  name: string;
  quantity: number;
  accepted: Money;
  current: Money;
}

/**
 * The cart as checkout reads it; `unavailable` lists products that left the catalog;
 * `lastOrderId` is the order that took the cart's lines last, unless it changed since.
 */
export interface CartToOrder {
  lines: CheckoutLine[];
  unavailable: string[];
  lastOrderId: string | null;
}

/** The cart subgraph's checkout access (its package's public surface implements it). */
export interface CheckoutCart {
  priced(userId: string): Promise<CartToOrder>;
}
