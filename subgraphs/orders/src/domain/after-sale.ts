import type { Money } from "#kernel";

export type RefundStatus = "PENDING" | "SUCCEEDED";

/**
 * Money given back for an order. PENDING from the moment it is promised (the order's
 * refundedAmount already counts it) until the provider confirms it; a refund is never given
 * up on, so there is no failed state: the payments subgraph retries until it succeeds.
 */
export interface Refund {
  id: string;
  orderId: string;
  amount: Money;
  reason: string;
  status: RefundStatus;
  idempotencyKey: string;
  /** The amount asked for ("rest" when the rest was asked for): tells a retry from a reuse of the key. */
  requestHash: string;
  returnId: string | null;
  providerRef: string | null;
  createdAt: Date;
  refundedAt: Date | null;
}

export type ReturnStatus = "REQUESTED" | "APPROVED" | "REJECTED";

/** Units of one order line a return sends back, at the unit price the order paid. */
export interface ReturnItem {
  variantId: string;
  quantity: number;
  unitPrice: Money;
}

/** A customer's request to send delivered units back; an admin approves or rejects it. */
export interface Return {
  id: string;
  orderId: string;
  userId: string;
  status: ReturnStatus;
  reason: string;
  decisionReason: string | null;
  items: ReturnItem[];
  createdAt: Date;
  decidedAt: Date | null;
  /** The customer's key for the request, if they sent one: a retry under it answers with this return. */
  idempotencyKey: string | null;
  /**
   * Fingerprint of the lines and reason asked for: tells a retry from a reuse of the key, and
   * a keyless double submit from a new request. Null on keyless returns of earlier releases.
   */
  requestHash: string | null;
}

/** Idempotency keys of the refunds the system asks for itself, one per cause and order. */
export const CANCEL_REFUND_KEY = "cancel";
export const returnRefundKey = (returnId: string) => `return:${returnId}`;

/** Ids under which the inventory puts sold units back, once each. */
export const cancelRestockId = (orderId: string) => `cancel:${orderId}`;
export const refundRestockId = (orderId: string) => `refund:${orderId}`;
export const returnRestockId = (returnId: string) => `return:${returnId}`;
