import type { OrderStatus } from "../../../../clients/typescript/src/index.js";

/** How the page names each order status. */
export const ORDER_STATUS_LABELS: Record<OrderStatus, string> = {
  PENDING: "Placed",
  PAID: "Paid",
  SHIPPED: "Shipped",
  DELIVERED: "Delivered",
  CANCELLED: "Cancelled",
  PAYMENT_FAILED: "Payment failed",
  RETURN_REQUESTED: "Return requested",
  PARTIALLY_REFUNDED: "Partially refunded",
  REFUNDED: "Refunded",
};
