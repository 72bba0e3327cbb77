import { isAdmin, type Identity, type Money } from "#kernel";

export type PaymentStatus = "PENDING" | "SUCCEEDED" | "FAILED" | "REFUNDED";

/** The charge for one order. The orders subgraph creates it PENDING at checkout. */
export interface Payment {
  id: string;
  orderId: string;
  userId: string;
  status: PaymentStatus;
  amount: Money;
  /** Provider calls made to charge it, retries included. */
  attempts: number;
  providerRef: string | null;
  failureReason: string | null;
  /** Fixed at the first charge attempt; null until then. */
  idempotencyKey: string | null;
  refundRequestedAt: Date | null;
  refundRef: string | null;
  refundedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the gateway sends for an order whose payment is asked for. */
export interface OrderReference {
  id: string;
}

/**
 * The provider dedupes by these keys, so they must be a pure function of the payment: every
 * process, every redelivered event and every resumed retry derives the same one.
 */
export const chargeKey = (paymentId: string) => `charge-${paymentId}`;
export const refundKey = (paymentId: string) => `refund-${paymentId}`;

/** A payment is the customer's business and the back office's, nobody else's. */
export function canView(payment: Payment, identity: Identity): boolean {
  return payment.userId === identity.userId || isAdmin(identity) || identity.roles.includes("service");
}

/** Whether there is still money to give back: refund asked for, payment captured, not yet refunded. */
export const owesRefund = (payment: Payment): boolean =>
  payment.refundRequestedAt !== null && payment.status === "SUCCEEDED" && payment.refundedAt === null;
