import { DomainError, ErrorCode } from "#kernel";
import type { OrderStatus } from "./order.js";

/**
 * The order's life:
 *   PENDING -> PAID -> SHIPPED -> DELIVERED, and from PENDING to PAYMENT_FAILED or CANCELLED;
 *   PAID -> CANCELLED (the customer changed their mind before shipping: refunded in full);
 *   PAID or SHIPPED -> REFUNDED (an admin gave everything back);
 *   after delivery: DELIVERED -> RETURN_REQUESTED while a return waits for a decision,
 *   PARTIALLY_REFUNDED once part of the money is given back, REFUNDED once all of it is;
 *   a rejected return goes back to where the order was (DELIVERED or PARTIALLY_REFUNDED).
 * PAYMENT_FAILED, CANCELLED and REFUNDED are final. Everything else is ILLEGAL_TRANSITION.
 */
const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ["PAID", "PAYMENT_FAILED", "CANCELLED"],
  PAID: ["SHIPPED", "CANCELLED", "REFUNDED"],
  SHIPPED: ["DELIVERED", "REFUNDED"],
  DELIVERED: ["RETURN_REQUESTED", "PARTIALLY_REFUNDED", "REFUNDED"],
  RETURN_REQUESTED: ["DELIVERED", "PARTIALLY_REFUNDED", "REFUNDED"],
  PARTIALLY_REFUNDED: ["RETURN_REQUESTED", "REFUNDED"],
  PAYMENT_FAILED: [],
  CANCELLED: [],
  REFUNDED: [],
};

/** Where the customer has the goods: returns may be asked for (within the window). */
const AFTER_DELIVERY: ReadonlySet<OrderStatus> = new Set(["DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED"]);
/** The payment was captured and not all of it given back: refunds may be asked for. */
const REFUNDABLE: ReadonlySet<OrderStatus> = new Set(["PAID", "SHIPPED", "DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED"]);

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => NEXT[from].includes(to);

export const isFinal = (status: OrderStatus): boolean => NEXT[status].length === 0;

export const isAfterDelivery = (status: OrderStatus): boolean => AFTER_DELIVERY.has(status);

export const isRefundable = (status: OrderStatus): boolean => REFUNDABLE.has(status);

export function assertTransition(orderId: string, from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `An order that is ${from} cannot become ${to}`, { orderId, from, to });
  }
}

/**
 * The status an order's money and returns put it in, after a refund or a return decision:
 * - everything given back (and there was something to give): REFUNDED;
 * - after delivery: RETURN_REQUESTED while a return is open, else PARTIALLY_REFUNDED once some
 *   money went back, else DELIVERED;
 * - before delivery a partial refund changes nothing (the goods still ship; refundedTotal says it).
 */
export function afterSaleStatus(order: { status: OrderStatus; total: number; refunded: number; openReturns: number }): OrderStatus {
  const { status, total, refunded, openReturns } = order;
  if (!isRefundable(status)) return status;
  if (refunded > 0 && refunded >= total) return "REFUNDED";
  if (!isAfterDelivery(status)) return status;
  if (openReturns > 0) return "RETURN_REQUESTED";
  return refunded > 0 ? "PARTIALLY_REFUNDED" : "DELIVERED";
}

/**
 * What a PaymentConfirmed means for an order, decided under the order's row lock so that a
 * customer's cancel and the confirmation cannot both win:
 * - PENDING: the order is paid (once its stock hold is committed);
 * - CANCELLED or PAYMENT_FAILED: money was taken for an order that will not ship, so it is
 *   refunded in full (the cancel came first);
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

/**
 * What a customer's cancel does, by status: PENDING releases the stock hold; PAID gives the
 * sold units back and refunds what was captured; anything from SHIPPED on is refused.
 */
export function onCancel(orderId: string, status: OrderStatus): "release" | "refund" {
  if (status === "PENDING") return "release";
  if (status === "PAID") return "refund";
  throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, whyNotCancellable(orderId, status), { orderId, from: status, to: "CANCELLED" });
}

/**
 * Why a cancel is refused, as the customer can act on it. REFUNDED says nothing of shipping: an
 * admin may have refunded a PAID order in full before it left (nothing shipped, nothing to
 * return, all the money given back), so it is told as a refund, not as a shipment.
 */
function whyNotCancellable(orderId: string, status: OrderStatus): string {
  if (status === "REFUNDED") return `Order ${orderId} was refunded in full (${status}) and can no longer be cancelled; there is nothing left to pay back`;
  if (status === "PAYMENT_FAILED" || status === "CANCELLED") return `An order that is ${status} cannot be cancelled`;
  return `Order ${orderId} has shipped (${status}) and can no longer be cancelled; request a return once it is delivered`;
}
