import type { RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";

/** What the provider holds for one order: its captures, its refunds, and the money it keeps (net). */
export interface OrderMoneyAtProvider {
  captures: number;
  refunds: number;
  net: number;
}

export function orderMoneyAtProvider(provider: RunningPaymentSimulator, orderId: string): OrderMoneyAtProvider {
  const { charges, refunds } = provider.ledger({ orderId });
  const captured = charges.filter((c) => c.status === "succeeded");
  return { captures: captured.length, refunds: refunds.length, net: captured.reduce((sum, c) => sum + c.amount, 0) - refunds.reduce((sum, r) => sum + r.amount, 0) };
}
