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
  /** When the whole amount had been given back. */
  refundedAt: Date | null;
  /** The payment-method reference to charge with, until the charge settles (then null). */
  paymentMethod: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One refund of a payment, as sent to the provider: the orders subgraph's refund id, its own
 * provider idempotency key, PENDING until the provider paid it.
 */
export interface PaymentRefund {
  id: string;
  paymentId: string;
  /** The payment's customer (its partition). */
  userId: string;
  amount: Money;
  status: "PENDING" | "SUCCEEDED";
  idempotencyKey: string;
  providerRef: string | null;
  createdAt: Date;
  refundedAt: Date | null;
}

/**
 * A payment-method token as checkout accepts them (1-64 letters, digits, '_', '.', ':', '-'):
 * passed to the provider, which refuses one it does not know (the payment then fails). A value
 * of any other shape (an event not written by checkout) is not passed on or stored.
 */
export const isPaymentMethodToken = (value: unknown): value is string => typeof value === "string" && /^[A-Za-z0-9_.:-]{1,64}$/.test(value);

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
/** The refund of a capture found on a payment that had failed: once, whichever process sends it. */
export const lateCaptureRefundKey = (paymentId: string) => `refund-late-capture-${paymentId}`;
/** One per refund of the orders subgraph: partial refunds of one payment each pay once. */
export const partialRefundKey = (refundId: string) => `refund-${refundId}`;

/** A payment is the customer's business and the back office's, nobody else's. */
export function canView(payment: Payment, identity: Identity): boolean {
  return payment.userId === identity.userId || isAdmin(identity) || identity.roles.includes("service");
}

/** Whether there may be money to give back: a refund was asked for a captured payment not yet fully refunded. */
export const owesRefund = (payment: Payment): boolean =>
  payment.refundRequestedAt !== null && payment.status === "SUCCEEDED" && payment.refundedAt === null;
