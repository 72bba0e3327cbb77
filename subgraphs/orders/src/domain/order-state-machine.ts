import { DomainError, ErrorCode } from "#kernel";
import type { OrderStatus } from "./order.js";

/**
 * The order's life: PENDING -> PAID -> SHIPPED -> DELIVERED, and from PENDING only to
 * PAYMENT_FAILED or CANCELLED. Everything else is refused with ILLEGAL_TRANSITION.
 */
const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ["PAID", "PAYMENT_FAILED", "CANCELLED"],
  PAID: ["SHIPPED"],
  SHIPPED: ["DELIVERED"],
  DELIVERED: [],
  PAYMENT_FAILED: [],
  CANCELLED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => NEXT[from].includes(to);

export const isFinal = (status: OrderStatus): boolean => NEXT[status].length === 0;

export function assertTransition(orderId: string, from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `An order that is ${from} cannot become ${to}`, { orderId, from, to });
  }
}

/**
 * What a PaymentConfirmed means for an order, decided under the order's row lock so that a
 * customer's cancel and the confirmation cannot both win:
 * - PENDING: the order is paid (once its stock hold is committed);
 * - CANCELLED or PAYMENT_FAILED: money was taken for an order that will not ship, so it is
 *   refunded (the cancel came first; this is the only place a refund is requested);
 * - PAID and later: a repeated confirmation, nothing to do.
 */
export function onPaymentConfirmed(status: OrderStatus): "pay" | "refund" | "ignore" {
  if (status === "PENDING") return "pay";
  if (status === "CANCELLED" || status === "PAYMENT_FAILED") return "refund";
  return "ignore";
}

/** A failed payment fails a PENDING order; after a cancel (stock already released) it changes nothing. */
export function onPaymentFailed(status: OrderStatus): "fail" | "ignore" {
  return status === "PENDING" ? "fail" : "ignore";
}
