import type { DomainEvent } from "#kernel";
import type { Payment } from "../domain/payment.js";

/** Who holds a payment while charging or refunding it, and for how long at a time. */
export interface Lease {
  owner: string;
  ms: number;
}

export type AttemptKind = "CHARGE" | "REFUND";
export type AttemptOutcome = "SUCCEEDED" | "DECLINED" | "TRANSIENT_FAILURE" | "TIMEOUT" | "REJECTED";

/**
 * What a consumed event did to its payment:
 * - `duplicate`: this consumer had already applied this event (ProcessedEvent);
 * - `claimed`: the caller now holds the payment's lease and must drive it;
 * - `unclaimable`: nothing to drive now (settled, or another process holds the lease).
 */
export type EventClaim = { kind: "duplicate" } | { kind: "claimed"; payment: Payment } | { kind: "unclaimable"; payment: Payment };

export class UnknownPaymentError extends Error {
  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} does not exist`);
  }
}

/**
 * The relational role of payments. Guarantees:
 * - at most one lease holder per payment at a time; a lease is taken over only once expired;
 * - every write of a lease holder checks it still holds the lease, so a process that lost it
 *   (paused past its lease) cannot settle a payment another process drives;
 * - settling a payment and writing its outcome event commit together (transactional outbox);
 * - an event is applied at most once per consumer (the claim commits with its event id).
 */
export interface PaymentStore {
  findByOrderIds(orderIds: readonly string[]): Promise<Map<string, Payment>>;
  findById(id: string): Promise<Payment | null>;
  /** Applies a PaymentRequested: claims the payment when it is PENDING and free. Throws UnknownPaymentError. */
  claimForRequest(consumer: string, event: DomainEvent, paymentId: string, lease: Lease): Promise<EventClaim>;
  /** Applies a RefundRequested: records the request, then claims the payment when it owes a refund and is free. */
  claimForRefund(consumer: string, event: DomainEvent, paymentId: string, lease: Lease): Promise<EventClaim>;
  /** Claims a payment that still needs work (PENDING, or owing a refund) when its lease is free. */
  claim(paymentId: string, lease: Lease): Promise<Payment | null>;
  /** Payments needing work that nobody has touched for `idleMs` and whose lease is free. */
  findStalled(idleMs: number, limit: number): Promise<string[]>;
  /** Counts a provider call (CHARGE bumps `attempts`) and renews the lease; null when the lease was lost. */
  startAttempt(paymentId: string, kind: AttemptKind, lease: Lease): Promise<{ number: number; attempts: number } | null>;
  finishAttempt(paymentId: string, kind: AttemptKind, number: number, outcome: AttemptOutcome, detail: string): Promise<void>;
  /** Sets the final status, writes `event` to the outbox and frees the lease; null when the lease was lost. */
  settleCharge(paymentId: string, lease: Lease, result: { status: "SUCCEEDED"; providerRef: string } | { status: "FAILED"; reason: string }, event: DomainEvent): Promise<Payment | null>;
  settleRefund(paymentId: string, lease: Lease, refundRef: string, event: DomainEvent): Promise<Payment | null>;
  releaseLease(paymentId: string, lease: Lease): Promise<void>;
}
