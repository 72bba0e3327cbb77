import type { Money } from "#kernel";
import type { PostalAddress } from "../../../cart/src/index.js";

export const ORDER_STATUSES = [
  "PENDING",
  "PAID",
  "SHIPPED",
  "DELIVERED",
  "PAYMENT_FAILED",
  "CANCELLED",
  "RETURN_REQUESTED",
  "PARTIALLY_REFUNDED",
  "REFUNDED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order as stored. Its lines and history are loaded apart (DataLoader per request). */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  statusReason: string | null;
  /** What the customer pays: subtotal - discount + shipping + tax. */
  total: Money;
  subtotal: Money;
  discountTotal: Money;
  shippingTotal: Money;
  taxTotal: Money;
  /** Snapshots taken at checkout; null for orders placed before they were recorded. */
  shippingAddress: OrderAddress | null;
  shippingMethod: OrderShippingMethod | null;
  couponCode: string | null;
  /** Fingerprint of checkout's address, shipping method and coupon (null for older orders). */
  optionsHash: string | null;
  idempotencyKey: string;
  /** Fingerprint of the cart that was ordered: tells a retry from a reuse of the key. */
  requestHash: string;
  reservationId: string;
  /** Minor units given back or being given back: the sum of the order's refunds, never above the total. */
  refundedAmount: number;
  /** When the order was first delivered; the return window counts from here. */
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One line as bought: a variant; names, options and unit price are those at checkout. */
export interface OrderItem {
  orderId: string;
  variantId: string;
  productId: string;
  name: string;
  sku: string;
  /** "Red / M"; the product's name for a default variant. */
  variantTitle: string;
  options: { name: string; value: string }[];
  unitPrice: Money;
  quantity: number;
  /**
   * What checkout charged the line beyond its price, as allocated then: its share of the
   * order's discount, and the tax it bore on its amount after that share. A return refunds its
   * units from these. Null for lines placed before they were recorded (see return-rules.ts).
   */
  discount: Money | null;
  tax: Money | null;
}

/** Where the order is shipped, as it was at checkout: a postal address as pricing reads it. */
export type OrderAddress = PostalAddress;

/** The shipping method chosen at checkout, as it was then (price before any free-shipping threshold). */
export interface OrderShippingMethod {
  id: string;
  name: string;
  price: Money;
}

export interface OrderStatusChange {
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string | null;
  at: Date;
}
