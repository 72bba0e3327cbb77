/** Every topic on the event bus, in one place so producers and consumers cannot drift. */
export const Topics = {
  /** Catalog writes (ProductUpserted, ProductDeleted), keyed by product id. */
  productChanged: "catalog.product-changed",
  /** Order status transitions (OrderStatusChanged), keyed by order id. */
  orderStatusChanged: "orders.status-changed",
  /** Payment outcomes (PaymentRequested, PaymentConfirmed, PaymentFailed), keyed by order id. */
  payments: "payments.events",
  /** Stock level changes (StockChanged), keyed by product id. */
  stockChanged: "inventory.stock-changed",
} as const;

/** Payload of `orders.status-changed`; enough for live subscriptions and notifications. */
export interface OrderStatusChangedPayload {
  orderId: string;
  userId: string;
  from: string | null;
  to: string;
  at: string;
}
