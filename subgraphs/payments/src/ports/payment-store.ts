import type { DomainEvent } from "#kernel";
import type { Payment, PaymentRefund } from "../domain/payment.js";

/**
 * When a FAILED payment is asked about again: first `firstAfterMs` after it failed, then each
 * time its last check is as old as the payment was at that check (the interval doubles), until
 * it failed `lookbackMs` ago.
 */
export interface LateCaptureSchedule {
  firstAfterMs: number;
  lookbackMs: number;
}

/** Who holds a payment while charging or refunding it, and for how long at a time. */
export interface Lease {
  owner: string;
  ms: number;
}

/**
 * Where a payment is: its id and its customer. The payment tables are hash-partitioned by
 * customer, so every statement names both and reads one partition (one server, when partitions
 * live on several). A `Payment` is a key.
 */
export interface PaymentKey {
  id: string;
  userId: string;
}

/** Which payment a PaymentRequested asks for; without the customer, the order's locator names it. */
export interface RequestedPayment {
  paymentId: string;
  orderId: string;
  userId?: string;
}

export type AttemptKind = "CHARGE" | "REFUND";
export type AttemptOutcome = "SUCCEEDED" | "DECLINED" | "TRANSIENT_FAILURE" | "TIMEOUT" | "REJECTED";

/** A charge call's end as its attempt log records it: which attempt, how it ended, the provider's word. */
export interface FinishedCall {
  number: number;
  outcome: AttemptOutcome;
  detail: string;
}

/**
 * A provider call started before it is sent (see `startAttempt`): its number and the payment's
 * charge attempts now, or, for a charge, "cancelled" when the customer cancelled the payment's
 * order and nothing was written.
 */
export type StartedAttempt = { number: number; attempts: number } | "cancelled";

/**
 * What a consumed event did to its payment:
 * - `duplicate`: this consumer had already applied this event (ProcessedEvent);
 * - `claimed`: the caller now holds the payment's lease and must drive it; `firstCharge`, when
 *   present, is the payment's first charge call, started by the claim itself (see
 *   `claimForRequest`), and `payment` is the payment as claimed, before that call;
 * - `unclaimable`: nothing to drive now (settled, or another process holds the lease).
 */
export type EventClaim = { kind: "duplicate" } | { kind: "claimed"; payment: Payment; firstCharge?: StartedAttempt } | { kind: "unclaimable"; payment: Payment };

/** Which refund a RefundRequested asks for (see RefundRequestedPayload). */
export interface RefundOrder {
  paymentId?: string;
  orderId: string;
  /** Absent on events from before partial refunds: the whole payment, under the payment's own key. */
  refundId?: string;
  amount?: number;
}

/** A RefundRequested that would refund more than the payment's amount: refused, never sent. */
export class RefundBeyondPaymentError extends Error {
  constructor(readonly paymentId: string, readonly refundId: string | null) {
    super(`Refund ${refundId ?? "(whole payment)"} would take payment ${paymentId} beyond its amount; refused`);
  }
}

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
 * - an event is applied at most once per consumer (the claim commits with its event id);
 * - refunds of one payment are recorded under its row lock and never add up to more than its
 *   amount; `refundRequestedAt` is set while any of them is PENDING, so the payment needs work
 *   (and the recovery sweep finds it) exactly until every one is paid.
 */
export interface PaymentStore {
  /** Through the orders' locator: an order id that is not live reads no payment partition. */
  findByOrderIds(orderIds: readonly string[]): Promise<Map<string, Payment>>;
  findById(key: PaymentKey): Promise<Payment | null>;
  /**
   * Applies a PaymentRequested: claims the payment when it is PENDING and free. Throws
   * UnknownPaymentError. A payment never called that has something to charge (no charge
   * attempt yet, an amount above 0), whose drive would start a charge call first thing, has
   * that call started in the same commit, as `startAttempt` would (the order's cancel check,
   * the count, the log): `firstCharge`. A crash after this commit leaves a call logged that was
   * perhaps never sent, as a crash after `startAttempt` always did: the next drive sends the
   * same key again.
   */
  claimForRequest(consumer: string, event: DomainEvent, payment: RequestedPayment, lease: Lease): Promise<EventClaim>;
  /** Applies a RefundRequested: records the refund (once per refund id), then claims the payment when it owes a refund and is free. */
  claimForRefund(consumer: string, event: DomainEvent, refund: RefundOrder, lease: Lease): Promise<EventClaim>;
  /** The payment's refunds still to pay, oldest first. */
  pendingRefunds(payment: PaymentKey): Promise<PaymentRefund[]>;
  /** Claims a payment that still needs work (PENDING, or owing a refund) when its lease is free. */
  claim(payment: PaymentKey, lease: Lease): Promise<Payment | null>;
  /**
   * Payments needing work that nobody has touched for `idleMs` and whose lease is free. The one
   * statement that reads every partition: the recovery sweep looks for any customer's payment.
   */
  findStalled(idleMs: number, limit: number): Promise<PaymentKey[]>;
  /**
   * Before a provider call, in one statement: counts it (a CHARGE bumps `attempts`), logs it
   * and renews the lease; null when the lease was lost. A CHARGE is "cancelled" instead, with
   * nothing written, when the customer has cancelled the payment's order (a REFUND is never
   * held back: it is what a cancel of a paid order asks for).
   */
  startAttempt(payment: PaymentKey & Pick<Payment, "orderId">, kind: AttemptKind, lease: Lease): Promise<StartedAttempt | null>;
  finishAttempt(payment: PaymentKey, kind: AttemptKind, number: number, outcome: AttemptOutcome, detail: string): Promise<void>;
  /** When the payment's last charge call ended (or was sent, if it never ended); null if none was made. */
  lastChargeCallAt(payment: PaymentKey): Promise<Date | null>;
  /**
   * Sets the final status, writes `event` to the outbox and frees the lease; null when the lease
   * was lost. `call`, the charge call whose answer settles the payment, is finished in the same
   * statement (as `finishAttempt` would, lease or not): its log and the outcome commit together.
   */
  settleCharge(
    payment: PaymentKey,
    lease: Lease,
    result: { status: "SUCCEEDED"; providerRef: string } | { status: "FAILED"; reason: string },
    event: DomainEvent,
    call?: FinishedCall,
  ): Promise<Payment | null>;
  /** Marks one refund paid and writes `event` (outbox) while the lease is held; false when the lease was lost. */
  settleRefund(refund: PaymentRefund, lease: Lease, refundRef: string, event: DomainEvent): Promise<boolean>;
  /**
   * Ends a refund drive: REFUNDED once refunds paid add up to the amount, `refundRequestedAt`
   * cleared when none is pending any more, lease freed. Refunds recorded meanwhile keep the
   * payment needing work. Null when the lease was lost.
   */
  finishRefunds(payment: PaymentKey, lease: Lease): Promise<Payment | null>;
  releaseLease(payment: PaymentKey, lease: Lease): Promise<void>;
  /**
   * FAILED payments whose charge calls may have taken money after all (a call was made, none was
   * declined, nothing refunded), failed within `lookbackMs`, whose next provider check is due
   * (see LateCaptureSchedule) and whose lease is free. Reads every partition, as findStalled.
   */
  findLateCaptureChecks(schedule: LateCaptureSchedule, limit: number): Promise<PaymentKey[]>;
  /** Takes the lease of such a payment while its check is still due (another replica may have done it); null otherwise. */
  claimLateCaptureCheck(payment: PaymentKey, schedule: LateCaptureSchedule, lease: Lease): Promise<Payment | null>;
  /** The provider holds no capture for it: the check is recorded (the next is due later) and the lease freed. */
  finishLateCaptureCheck(payment: PaymentKey, lease: Lease): Promise<void>;
  /**
   * A capture found and refunded: recorded once, while the lease is held (the payment's
   * `providerRef`, `refundRef` and `refundedAt`, a SUCCEEDED PaymentRefund under the refund's
   * key), which ends its checks; the lease is freed. False when the lease was lost.
   */
  recordLateCaptureRefund(payment: Payment, lease: Lease, refund: { chargeRef: string; refundRef: string; idempotencyKey: string }): Promise<boolean>;
  /** Whether the payment's order was cancelled by its customer (no new charge is sent for it then). */
  orderCancelled(payment: Pick<Payment, "orderId" | "userId">): Promise<boolean>;
}
