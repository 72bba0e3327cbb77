import type { Money } from "#kernel";

/**
 * A cart line at checkout: one variant, with the catalog's names for it (the order's
 * snapshots), the price the customer accepted and the catalog's price now.
 */
export interface CheckoutLine {
  variantId: string;
  productId: string;
  name: string;
  sku: string;
  variantTitle: string;
  options: { name: string; value: string }[];
  quantity: number;
  accepted: Money;
  current: Money;
}

/**
 * The cart as checkout reads it; `unavailable` lists the variants that left the catalog;
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
