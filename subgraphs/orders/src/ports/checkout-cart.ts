import type { Money } from "#kernel";
import type { Order } from "../domain/order.js";

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
  /** The product's category slug (tax rates can depend on it). */
  category: string | null;
  quantity: number;
  accepted: Money;
  current: Money;
  /** When the line was put in the cart: the order takes this line, not one put back since with the same quantity and price. */
  addedAt: Date;
}

/**
 * The cart as checkout reads it; `unavailable` lists the variants that left the catalog;
 * `lastOrderId` is the order that took the cart's lines last, unless it changed since.
 */
export interface CartToOrder {
  /** The cart's key: the customer's user id. */
  userId: string;
  lines: CheckoutLine[];
  unavailable: string[];
  lastOrderId: string | null;
}

/** What the order is charged, from the cart's pricing (the same function as the cart's estimate). */
export interface CheckoutQuote {
  totals: {
    subtotal: Money;
    discountTotal: Money;
    shippingTotal: Money;
    taxTotal: Money;
    total: Money;
    /** Each line's share of the discount and the tax it bore, which its returns give back. */
    lines: readonly { variantId: string; discount: Money; tax: Money }[];
  };
  coupon: { id: string; code: string } | null;
  shippingMethod: { id: string; name: string; price: Money } | null;
}

/** The cart as stored, before the catalog is asked: enough to refuse a variant just sold out. */
export interface CartContents {
  lines: readonly { variantId: string }[];
  /** The order that last took this cart's lines (a checkout that lost it names that order). */
  lastOrderId: string | null;
}

/**
 * The cart subgraph's checkout access (its package's public surface implements it). Reading
 * and pricing are two steps so that a checkout can be refused on the stored lines alone,
 * before the catalog lookup pricing needs.
 */
export interface CheckoutCart<Contents extends CartContents = CartContents> {
  read(userId: string): Promise<Contents>;
  /**
   * The cart as `read` gives it and the order this customer's key placed (null: none), read in
   * one round trip, the cart first: what a checkout of a variant remembered sold out needs to be
   * refused (or answered with its order) with one statement. With `quoting`, the pricing data of
   * that quote is read in the same round trip, and `quote` prices with it as `quote` below would
   * for the same request. Optional: without it, a round trip each.
   */
  readWithOrderOfKey?(
    userId: string,
    idempotencyKey: string,
    quoting?: QuoteAsked,
  ): Promise<{ contents: Contents; placed: Order | null; quote?(cart: CartToOrder): Promise<CheckoutQuote> }>;
  price(contents: Contents): Promise<CartToOrder>;
  /**
   * Prices the cart for delivery, strictly: NOT_FOUND for an unknown shipping method,
   * SHIPPING_UNAVAILABLE when it does not serve the destination or the cart's currency,
   * COUPON_INVALID (with the reason) for the given coupon, or the cart's, when it does not apply.
   */
  quote(cart: CartToOrder, request: QuoteAsked): Promise<CheckoutQuote>;
}

/** What a cart is priced for at checkout: where it goes, how, and the coupon argument (null: the cart's). */
export interface QuoteAsked {
  destination: { country: string; region: string | null };
  shippingMethodId: string;
  couponCode: string | null;
}
