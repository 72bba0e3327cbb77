import { DomainError, ErrorCode, MAX_ORDER_TOTAL, badInput, newEntityId, requestFingerprint, singleLineText, validIdempotencyKey } from "#kernel";
import type { Order } from "./order.js";
import type { Refund } from "./after-sale.js";
import { refundRequested, type OutboxMessage } from "./order-events.js";

import { MAX_KEPT_RETURNS_PER_ORDER } from "./return-rules.js";
import type { NewRefund } from "../ports/order-store.js";

/** Largest refund one call may ask for, in minor units: no more than one order can cost. */
export const MAX_REFUND_AMOUNT = MAX_ORDER_TOTAL;
export const MAX_REFUND_REASON_LENGTH = 500;
/**
 * Refunds an admin may make on one order: partial ones until the last, which may always be
 * (and must be) all that is left, so the cap never keeps money from the customer.
 */
export const MAX_ADMIN_REFUNDS_PER_ORDER = 9;
/**
 * Refunds one order holds at most: one per approved return (MAX_KEPT_RETURNS_PER_ORDER), the
 * admin's and a cancel's. The size the schema declares for Order.refunds, which the gateway's
 * cost measure counts.
 */
export const MAX_REFUNDS_PER_ORDER = MAX_KEPT_RETURNS_PER_ORDER + MAX_ADMIN_REFUNDS_PER_ORDER + 1;

const isAdminRefund = (refund: Refund) => refund.idempotencyKey.startsWith("admin:");

/**
 * Refuses an admin's partial refund once it would be the order's last admin refund: that one
 * refunds the rest (amount omitted, or exactly what is left), which is always allowed, so
 * nothing captured is ever out of an admin's reach (an amount beyond the rest is
 * REFUND_LIMIT_EXCEEDED, from promiseRefund).
 */
export function assertRoomForAdminRefund(order: Order, refunds: readonly Refund[], amount: number | null): void {
  const rest = order.total.amount - order.refundedAmount;
  if (amount === null || amount >= rest) return;
  const made = refunds.filter(isAdminRefund).length;
  if (made >= MAX_ADMIN_REFUNDS_PER_ORDER - 1) {
    throw badInput(
      `Order ${order.id} has had ${made} admin refunds; the last of the ${MAX_ADMIN_REFUNDS_PER_ORDER} an order takes refunds all that is left, ${rest}: omit amount or send ${rest}`,
      { field: "amount", orderId: order.id, refundable: rest, limit: MAX_ADMIN_REFUNDS_PER_ORDER },
    );
  }
}

export interface RefundRequest {
  /** Dedupes within the order: the same key is the same refund. */
  idempotencyKey: string;
  /** Minor units; null asks for the rest (captured minus already refunded). */
  amount: number | null;
  reason: string;
  /**
   * Whether the reason is part of what the key names: true for an admin's refund, whose reason
   * the caller chose; a refund the system makes (a cancel, an approved return) is named by its
   * key alone, whatever wording its reason has.
   */
  reasonIsRequested?: boolean;
  returnId?: string | null;
  paymentId?: string;
}

/** What promising a refund decides: the refund (new or the one the key already names) and what to write. */
export interface RefundPromise {
  refund: Refund | NewRefund;
  created: boolean;
  refunds: NewRefund[];
  events: OutboxMessage[];
}

/** What a refund asked for before reasons counted: its amount only (still in rows written then). */
const amountOnlyHash = (amount: number | null) => (amount === null ? "rest" : `amount:${amount}`);

/**
 * What the refund asks for, as the key's fingerprint: a retry asks the same, a reuse something
 * else. An admin's refund counts its reason too (the same key with another reason is another
 * refund, not a retry); a system refund keeps the amount-only fingerprint.
 */
export function refundRequestHash(request: Pick<RefundRequest, "amount" | "reason" | "reasonIsRequested">): string {
  if (!request.reasonIsRequested) return amountOnlyHash(request.amount);
  return `v2:${requestFingerprint("refund", { amount: request.amount, reason: request.reason })}`;
}

/**
 * Whether a stored refund is the one a request asks for. A refund stored before reasons
 * counted holds the amount-only fingerprint: it is the same request when the amount matches
 * and the reason it recorded is the one asked for now, so a retry across the upgrade is
 * answered with it, never made twice.
 */
function sameRefundRequest(stored: Refund, request: RefundRequest, requestHash: string): boolean {
  if (stored.requestHash === requestHash) return true;
  if (!request.reasonIsRequested || stored.requestHash.startsWith("v2:")) return false;
  return stored.requestHash === amountOnlyHash(request.amount) && stored.reason === request.reason;
}

/**
 * Promises a refund on a locked order: captured minus already refunded bounds it (the order
 * row's CHECK enforces the same bound in the database), the key makes a retry return the same
 * refund and a reuse with another amount (or, for an admin's refund, another reason) fail with
 * IDEMPOTENCY_CONFLICT. Null when there is
 * nothing left to give back and `rest` was asked for by the system (a cancel after a full refund).
 */
export function promiseRefund(order: Order, existing: readonly Refund[], request: RefundRequest, at: Date, options: { quietWhenNothingLeft?: boolean } = {}): RefundPromise | null {
  const requestHash = refundRequestHash(request);
  const same = existing.find((refund) => refund.idempotencyKey === request.idempotencyKey);
  if (same) {
    if (!sameRefundRequest(same, request, requestHash)) {
      throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${request.idempotencyKey} already names a refund of another amount or reason on order ${order.id}`, {
        orderId: order.id,
        refundId: same.id,
      });
    }
    return { refund: same, created: false, refunds: [], events: [] };
  }
  const refundable = order.total.amount - order.refundedAmount;
  const amount = request.amount ?? refundable;
  if (amount <= 0 && request.amount === null) {
    if (options.quietWhenNothingLeft) return null;
    throw new DomainError(ErrorCode.REFUND_LIMIT_EXCEEDED, `Order ${order.id} has nothing left to refund`, { orderId: order.id, refundable });
  }
  if (amount > refundable) {
    throw new DomainError(ErrorCode.REFUND_LIMIT_EXCEEDED, `Order ${order.id} has ${refundable} left to refund; ${amount} was asked for`, { orderId: order.id, refundable });
  }
  const refund: NewRefund = {
    id: newEntityId("rfd"),
    orderId: order.id,
    amount: { amount, currency: order.total.currency },
    reason: request.reason,
    idempotencyKey: request.idempotencyKey,
    requestHash,
    returnId: request.returnId ?? null,
    createdAt: at,
  };
  const event = refundRequested(
    { orderId: order.id, refundId: refund.id, amount, currency: refund.amount.currency, ...(request.paymentId ? { paymentId: request.paymentId } : {}) },
    at,
  );
  return { refund, created: true, refunds: [refund], events: [event] };
}

/** The admin's arguments, checked before anything is locked. */
export function validRefundArguments(args: { amount?: number | null; reason: string; idempotencyKey: string }): { amount: number | null; reason: string; idempotencyKey: string } {
  const amount = args.amount ?? null;
  if (amount !== null && (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_REFUND_AMOUNT)) {
    throw badInput(`amount must be a whole number of minor units from 1 to ${MAX_REFUND_AMOUNT}`, { field: "amount" });
  }
  const reason = singleLineText("reason", args.reason, { max: MAX_REFUND_REASON_LENGTH });
  return { amount, reason, idempotencyKey: validIdempotencyKey(args.idempotencyKey) };
}
