import type { OrderStatus, PaymentStatus } from "./generated/graphql.js";

/**
 * Formats an amount in minor units (cents for USD, yen for JPY) in its currency. Amounts in
 * the API are integers in minor units, never floats: 1999 USD is $19.99.
 */
export function formatMoney(money: { amount: number; currency: string }, locale = "en-US"): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency: money.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

const FINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(["CANCELLED", "PAYMENT_FAILED", "REFUNDED"]);

/**
 * The statuses after which an order never changes; its status subscription ends there, not at
 * PAID, nor at DELIVERED (a return or a refund may still follow).
 */
export function isFinalOrderStatus(status: OrderStatus): boolean {
  return FINAL_ORDER_STATUSES.has(status);
}

/**
 * One sentence for what a customer should understand from an order and its payment. The two
 * statuses move separately (the payment first, then the order once its stock is committed), so
 * some pairs are in-between states that a UI must not show as a contradiction.
 */
export function describeOrderState(order: OrderStatus, payment: PaymentStatus | undefined | null): string {
  switch (order) {
    case "PENDING":
      if (payment === "SUCCEEDED") return "Payment received; confirming your order.";
      if (payment === "FAILED") return "Payment failed; updating your order.";
      return "Order placed; processing your payment.";
    case "PAID":
      return "Paid; preparing your order for shipping.";
    case "SHIPPED":
      return "On its way.";
    case "DELIVERED":
      return "Delivered.";
    case "PAYMENT_FAILED":
      return payment === "SUCCEEDED" || payment === "REFUNDED"
        ? "Payment failed; the amount taken is refunded and the items were released."
        : "Payment failed; nothing was charged and the items were released.";
    case "CANCELLED":
      return payment === "SUCCEEDED" || payment === "REFUNDED"
        ? "Cancelled; the payment is refunded."
        : "Cancelled; nothing was charged.";
    case "RETURN_REQUESTED":
      return "Delivered; your return is waiting for a decision.";
    case "PARTIALLY_REFUNDED":
      return "Delivered; part of the payment was refunded.";
    case "REFUNDED":
      return "Refunded in full.";
  }
}
