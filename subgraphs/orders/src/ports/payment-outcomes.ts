/** Where an order's payment stands, as the payments service records it. */
export interface OrderPayment {
  paymentId: string;
  status: "PENDING" | "SUCCEEDED" | "FAILED" | "REFUNDED";
  failureReason: string | null;
  attempts: number;
  amount: number;
  currency: string;
}

/** Reads payments by their orders, as the orders service (the reconciler's source of truth). */
export interface PaymentOutcomes {
  /** The payment of each order that has one; orders without a payment are absent. */
  ofOrders(orderIds: readonly string[]): Promise<Map<string, OrderPayment>>;
}
