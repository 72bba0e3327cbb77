import { setTimeout as delay } from "node:timers/promises";
import {
  countPaymentAttempt,
  countPaymentOutcome,
  newEvent,
  ORDER_CANCELLED_BEFORE_PAYMENT,
  PaymentEventTypes,
  type Identity,
  type Logger,
  type PaymentConfirmedPayload,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
} from "#kernel";
import { canView, chargeKey, owesRefund, type Payment, type PaymentRefund } from "./payment.js";
import { backoffDelayMs, type RetryPolicy } from "./retry-policy.js";
import { chargeVerdict, type ChargeResult } from "./charge-verdict.js";
import type { PaymentProvider, ProviderOutcome } from "../ports/payment-provider.js";
import type { AttemptOutcome, FinishedCall, Lease, PaymentStore, StartedAttempt } from "../ports/payment-store.js";

export interface PaymentServiceDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  retry: RetryPolicy;
  logger: Logger;
  /** Called after a commit that wrote outcome events, so the outbox relay publishes at once. */
  onEventsWritten?: () => void;
  /** How long a payment the provider cannot be reached for is tried before it fails; see PaymentPatience. */
  patience?: PaymentPatience;
  random?: () => number;
  clock?: () => number;
}

/**
 * How long to keep trying, and how far to trust the provider's charge search.
 * - retryForMs: a payment whose calls all failed for want of an answer (the provider down, a
 *   blip of a second or two, 5xx) stays PENDING and is tried again by the recovery sweep until
 *   it is this old; only then does it fail. Before, a 1.5 s outage failed every order in it.
 *   A payment first driven this late (a backlog of requests, the payments processes down) is
 *   never called: it fails, nothing charged. Its order's stock hold outlives this window only
 *   by one drive's calls (the configuration's rule), so a first call now could take money for
 *   units already sold to another customer, to be refunded.
 * - searchLagMs: a provider's charge search may show a capture this long after it was made
 *   (Stripe's search: "up to a minute"). Its "none" says nothing about a call that ended more
 *   recently, so a payment is only failed on it once its last call is this old.
 */
export interface PaymentPatience {
  retryForMs: number;
  searchLagMs: number;
}

export const DEFAULT_PAYMENT_PATIENCE: PaymentPatience = { retryForMs: 600_000, searchLagMs: 60_000 };

/** How a provider call ended, as the attempt log records it. */
export const ATTEMPT_OUTCOME: Record<ProviderOutcome["kind"], AttemptOutcome> = {
  succeeded: "SUCCEEDED",
  declined: "DECLINED",
  transient: "TRANSIENT_FAILURE",
  timeout: "TIMEOUT",
  rejected: "REJECTED",
};

/** The provider reference of a payment of 0: settled without any call to the provider. */
export const NOTHING_CHARGED = "none:nothing-to-charge";

/**
 * Payment rules. `drive` takes a payment the caller holds the lease of to its next resting
 * state: a PENDING payment is charged (retrying transient failures and timeouts with backoff,
 * always with the payment's one idempotency key) until SUCCEEDED or FAILED; a payment owing
 * a refund is refunded. A payment the provider gave no answer for stays PENDING for the
 * recovery sweep, which sends the same key again, until it is `patience.retryForMs` old;
 * only then is it failed, and one whose calls may have taken the money only on the provider's
 * word that it holds no charge, once its search has had time to show one (see
 * PaymentPatience). The outcome and its event commit together. When `signal` aborts
 * (shutdown) the payment is left PENDING with its lease released, for the next process.
 */
export function createPaymentService(deps: PaymentServiceDeps) {
  const { store, provider, retry, logger } = deps;
  const random = deps.random ?? Math.random;
  const clock = deps.clock ?? Date.now;
  const patience = deps.patience ?? DEFAULT_PAYMENT_PATIENCE;
  const eventsWritten = deps.onEventsWritten ?? (() => {});
  const pause = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

  /** `firstCall`: the first charge call, already started by the payment's claim (see PaymentStore.claimForRequest). */
  async function charge(payment: Payment, lease: Lease, signal: AbortSignal, firstCall?: StartedAttempt): Promise<Payment | null> {
    const log = logger.child({ paymentId: payment.id, orderId: payment.orderId, userId: payment.userId });
    // An order that costs nothing (a full discount, free shipping) has nothing to charge:
    // providers refuse a charge of 0, which failed the order and released its stock. One
    // cancelled first is settled as the cancel requires (FAILED), like any payment never called.
    if (payment.amount.amount === 0) {
      if (await store.orderCancelled(payment)) return cancelled(payment, lease, undefined, signal, log);
      return settle(payment, lease, { status: "SUCCEEDED", providerRef: NOTHING_CHARGED }, payment.attempts, log);
    }
    const givingUp = clock() - payment.createdAt.getTime() >= patience.retryForMs;
    // Calls of earlier drives may have charged: how they ended is not known here. When the
    // payment was last called is, from its attempt log (asked only of a resumed payment).
    const earlierCallEndedAt = payment.attempts > 0 ? ((await store.lastChargeCallAt(payment))?.getTime() ?? clock()) : undefined;
    // Tried for long enough: the provider is asked, once its search can be trusted, and no
    // new charge is sent.
    if (givingUp && earlierCallEndedAt !== undefined) return conclude(payment, lease, earlierCallEndedAt, tooLong, signal, log);
    // Never called, and too late to start: see PaymentPatience. (A call the claim started
    // already is made: the claim judged the payment young enough.)
    if (givingUp && earlierCallEndedAt === undefined && firstCall === undefined) {
      log.warn("payment first driven too late to be charged; failed without a call", { ageMs: clock() - payment.createdAt.getTime() });
      return settle(payment, lease, { status: "FAILED", reason: tooLateToStart }, payment.attempts, log);
    }
    let last: ProviderOutcome | undefined;
    let attempts = payment.attempts;
    // When the latest call that may have taken the money (a timeout, a 5xx, a connection lost
    // after sending, an answer that could not be read) ended: failing the payment on the
    // provider's word "none" before its search can show that call would keep money for an
    // order that never ships.
    let doubtfulCallEndedAt = earlierCallEndedAt;
    let doubtInThisDrive = false;
    // The provider was still working on this key at the last call: wait, do not look it up.
    let stillProcessing = false;
    for (let call = 1; call <= retry.maxAttempts && !signal.aborted; call++) {
      // No charge is ever sent for an order its customer has cancelled, so the order is asked
      // before every call, a drive's first included: a first drive can come long after checkout
      // (a payments backlog, a lagging or restarted consumer, a crash before the first call
      // that the sweep resumes), and a retry or a resumed drive after an outage. Nothing sent:
      // FAILED at once; an earlier call may have charged: settled from the provider's search.
      // Only a cancel landing between this read (with the attempt's start) and the call still
      // meets a charge, which the order then refunds.
      // A claim starts the first call only of a payment never called with an amount to charge,
      // which this loop's first turn is the first step for.
      const attempt = call === 1 && firstCall !== undefined ? firstCall : await store.startAttempt(payment, "CHARGE", lease);
      if (attempt === "cancelled") return cancelled(payment, lease, doubtfulCallEndedAt, signal, log);
      if (!attempt) {
        log.warn("payment lease lost; another process drives the payment");
        return null;
      }
      attempts = attempt.attempts;
      const outcome = await provider.charge(
        {
          idempotencyKey: payment.idempotencyKey ?? chargeKey(payment.id),
          amount: payment.amount,
          customerId: payment.userId,
          paymentId: payment.id,
          orderId: payment.orderId,
          ...(payment.paymentMethod ? { paymentMethod: payment.paymentMethod } : {}),
        },
        signal,
      );
      const answered: FinishedCall = { number: attempt.number, outcome: ATTEMPT_OUTCOME[outcome.kind], detail: "reason" in outcome ? outcome.reason : outcome.ref };
      const verdict = chargeVerdict(outcome);
      // An answer that settles the payment is logged in the settling statement (one round trip
      // a charge fewer, and the log and the outcome commit together); any other is logged now.
      if (verdict.kind !== "settle") await store.finishAttempt(payment, "CHARGE", answered.number, answered.outcome, answered.detail);
      countPaymentAttempt("charge", outcome.kind);
      last = outcome;
      if (outcome.kind === "timeout" || (outcome.kind === "transient" && outcome.mayHaveCharged === true)) {
        doubtfulCallEndedAt = clock();
        doubtInThisDrive = true;
      }
      stillProcessing = outcome.kind === "transient" && outcome.stillProcessing === true;
      if (verdict.kind === "settle") return settle(payment, lease, verdict.result, attempts, log, answered);
      // The provider holds another request under this payment's key (one sent before the
      // payment's terms were fixed): that request may have taken the money, so it is asked.
      if (verdict.kind === "ask") return settleInDoubt(payment, lease, attempts, verdict.reason, doubtfulCallEndedAt ?? clock(), signal, log);
      log.info("payment attempt failed; will retry", { attempt: attempts, outcome: outcome.kind, reason: answered.detail });
      if (call < retry.maxAttempts) await pause(backoffDelayMs(call, retry, random), signal);
    }
    if (signal.aborted) {
      await store.releaseLease(payment, lease);
      return null;
    }
    const reason = `The payment provider could not be reached after ${attempts} attempts (${last && "reason" in last ? last.reason : "no answer"})`;
    if (stillProcessing) {
      // A lookup now could miss the charge being made and fail a payment that is being taken.
      log.warn("the provider is still working on this payment's charge; left PENDING for the recovery sweep", { attempts });
      await store.releaseLease(payment, lease);
      return null;
    }
    // Nothing this drive sent can have taken the money, and the payment has been tried for
    // long enough: it fails. (Earlier calls in doubt were judged at the start: `conclude`.)
    if (givingUp && !doubtInThisDrive) return settle(payment, lease, { status: "FAILED", reason }, attempts, log);
    // In doubt, the provider is asked at once: a capture settles the payment now.
    if (doubtInThisDrive) {
      const found = await lookUp(payment, signal);
      if (found.kind === "captured") return settleCaptured(payment, lease, attempts, found.ref, log);
    }
    // Otherwise it stays PENDING: the sweep sends the same key again (the provider answers a
    // replay with what it did) until the payment is PAYMENT_RETRY_FOR_MS old.
    log.warn("payment provider unreachable; left PENDING for the recovery sweep", { attempts, reason });
    await store.releaseLease(payment, lease);
    return null;
  }

  /**
   * The last word on a payment tried for long enough, with no new charge sent: SUCCEEDED when
   * the provider has a capture for it, FAILED when it has none and its search has had time to
   * show the payment's last call, and otherwise PENDING (lease released) for a later sweep.
   */
  async function conclude(payment: Payment, lease: Lease, lastCallEndedAt: number, reason: string, signal: AbortSignal, log: Logger): Promise<Payment | null> {
    if (clock() - lastCallEndedAt < patience.searchLagMs) {
      await store.releaseLease(payment, lease);
      return null;
    }
    return settleInDoubt(payment, lease, payment.attempts, reason, lastCallEndedAt, signal, log);
  }

  const tooLong = `The payment could not be charged: the provider did not answer for ${Math.round(patience.retryForMs / 60_000)} minutes and holds no charge for it`;
  const tooLateToStart = `The payment was not sent to the payment provider within ${Math.round(patience.retryForMs / 60_000)} minutes of checkout, while the order's items were held for it; nothing was charged`;

  /**
   * A payment whose order the customer cancelled before it settled. Never called: FAILED at once.
   * Called: settled from the provider's word alone (a capture SUCCEEDED, so the order refunds
   * it; none FAILED once the search can be believed), never by another charge.
   */
  async function cancelled(payment: Payment, lease: Lease, lastCallEndedAt: number | undefined, signal: AbortSignal, log: Logger): Promise<Payment | null> {
    const reason = ORDER_CANCELLED_BEFORE_PAYMENT;
    log.info("order cancelled while its payment was pending; no charge is sent", { attempts: payment.attempts });
    if (lastCallEndedAt === undefined) return settle(payment, lease, { status: "FAILED", reason }, payment.attempts, log);
    return conclude(payment, lease, lastCallEndedAt, reason, signal, log);
  }

  const lookUp = (payment: Payment, signal: AbortSignal) =>
    signal.aborted ? Promise.resolve({ kind: "unknown", reason: "the process is stopping" } as const) : provider.findCharge(payment.id, signal);

  function settleCaptured(payment: Payment, lease: Lease, attempts: number, ref: string, log: Logger) {
    log.warn("the provider had captured the charge an earlier call lost the answer of", { attempts, providerRef: ref });
    return settle(payment, lease, { status: "SUCCEEDED", providerRef: ref }, attempts, log);
  }

  /**
   * Settles a payment a call may have charged: SUCCEEDED when the provider has a capture for
   * it, FAILED (for `reason`) only when it says there is none and its search has had time to
   * show a capture made by the last such call (ended at `doubtfulCallEndedAt`), and otherwise
   * left PENDING, lease released, for the recovery sweep to ask again.
   */
  async function settleInDoubt(payment: Payment, lease: Lease, attempts: number, reason: string, doubtfulCallEndedAt: number, signal: AbortSignal, log: Logger): Promise<Payment | null> {
    const found = await lookUp(payment, signal);
    if (found.kind === "captured") return settleCaptured(payment, lease, attempts, found.ref, log);
    if (found.kind === "none" && clock() - doubtfulCallEndedAt >= patience.searchLagMs) return settle(payment, lease, { status: "FAILED", reason }, attempts, log);
    // Not known yet (or too soon to believe "none"): stay PENDING; the recovery sweep asks again later.
    log.warn("payment outcome unknown; left PENDING for the recovery sweep", { attempts, lookup: found.kind, ...(found.kind === "unknown" ? { reason: found.reason } : {}) });
    await store.releaseLease(payment, lease);
    return null;
  }

  async function settle(
    payment: Payment,
    lease: Lease,
    result: ChargeResult,
    attempts: number,
    log: Logger,
    /** The charge call whose answer this is, logged with the outcome. */
    call?: FinishedCall,
  ): Promise<Payment | null> {
    const common = { paymentId: payment.id, orderId: payment.orderId, attempts, userId: payment.userId, amount: payment.amount.amount, currency: payment.amount.currency };
    const event =
      result.status === "SUCCEEDED"
        ? newEvent<PaymentConfirmedPayload>(PaymentEventTypes.confirmed, payment.orderId, { ...common, providerRef: result.providerRef })
        : newEvent<PaymentFailedPayload>(PaymentEventTypes.failed, payment.orderId, { ...common, reason: result.reason });
    const settled = await store.settleCharge(payment, lease, result, event, call);
    if (!settled) {
      log.warn("payment lease lost before settling; another process settles it");
      return null;
    }
    eventsWritten();
    countPaymentOutcome(result.status);
    log.info(result.status === "SUCCEEDED" ? "payment succeeded" : "payment failed", { attempts, ...(result.status === "FAILED" ? { reason: result.reason } : {}) });
    return settled;
  }

  /** One refund, retried like a charge with its one idempotency key; whether it was paid (and recorded). */
  async function refundOne(payment: Payment, refund: PaymentRefund, lease: Lease, signal: AbortSignal, log: Logger): Promise<"paid" | "later" | "lost"> {
    for (let call = 1; call <= retry.maxAttempts && !signal.aborted; call++) {
      const attempt = await store.startAttempt(payment, "REFUND", lease);
      // A refund is never held back by a cancel ("cancelled" answers charges only).
      if (attempt === null || attempt === "cancelled") return "lost";
      const outcome = await provider.refund({ idempotencyKey: refund.idempotencyKey, chargeRef: payment.providerRef!, amount: refund.amount }, signal);
      await store.finishAttempt(payment, "REFUND", attempt.number, ATTEMPT_OUTCOME[outcome.kind], "reason" in outcome ? outcome.reason : outcome.ref);
      countPaymentAttempt("refund", outcome.kind);
      if (outcome.kind === "succeeded") {
        const event = newEvent<PaymentRefundedPayload>(PaymentEventTypes.refunded, payment.orderId, {
          paymentId: payment.id,
          orderId: payment.orderId,
          userId: payment.userId,
          refundId: refund.id,
          refundRef: outcome.ref,
          amount: refund.amount.amount,
          currency: refund.amount.currency,
        });
        if (!(await store.settleRefund(refund, lease, outcome.ref, event))) return "lost";
        eventsWritten();
        log.info("refund paid", { refundId: refund.id, amount: refund.amount.amount, refundRef: outcome.ref });
        return "paid";
      }
      if (outcome.kind !== "transient" && outcome.kind !== "timeout") {
        // The customer is owed this money: never give up silently. The sweep tries again later.
        log.error("payment provider refused a refund; it stays requested", { refundId: refund.id, outcome: outcome.kind, reason: outcome.reason });
        return "later";
      }
      if (call < retry.maxAttempts) await pause(backoffDelayMs(call, retry, random), signal);
    }
    return "later";
  }

  /**
   * Pays every pending refund of a captured payment, oldest first, then frees the payment
   * (REFUNDED once everything went back). A refund recorded while the lease was held keeps the
   * payment needing work, so it is claimed again at once (or by its own event, or the sweep).
   */
  async function refundAll(payment: Payment, lease: Lease, signal: AbortSignal): Promise<void> {
    const log = logger.child({ paymentId: payment.id, orderId: payment.orderId, userId: payment.userId });
    let current: Payment | null = payment;
    while (current && !signal.aborted) {
      let stalled = false;
      for (const refund of await store.pendingRefunds(current)) {
        const outcome = await refundOne(current, refund, lease, signal, log);
        if (outcome === "lost") return;
        if (outcome === "later") {
          stalled = true;
          break;
        }
      }
      const finished = await store.finishRefunds(current, lease);
      if (!finished) return;
      if (stalled) {
        log.warn("refund not paid yet; the recovery sweep will retry it");
        return;
      }
      current = owesRefund(finished) ? await store.claim(finished, lease) : null;
    }
    if (current) await store.releaseLease(current, lease);
  }

  return {
    /** The payments of these orders, for the DataLoader behind `Order.payment`. */
    findByOrderIds: (orderIds: readonly string[]) => store.findByOrderIds(orderIds),

    /** The payment as the caller may see it: null when it is someone else's. */
    visibleTo: (payment: Payment | null, identity: Identity): Payment | null => (payment && canView(payment, identity) ? payment : null),

    /** `firstCharge`: the charge call the payment's claim started, if it did. */
    async drive(payment: Payment, lease: Lease, signal: AbortSignal, firstCharge?: StartedAttempt): Promise<void> {
      let current: Payment | null = payment;
      if (current.status === "PENDING") {
        current = await charge(current, lease, signal, firstCharge);
        // Settling freed the lease; a refund asked for meanwhile needs it again.
        if (current && owesRefund(current)) current = await store.claim(current, lease);
      }
      if (current && owesRefund(current)) {
        if (signal.aborted) await store.releaseLease(current, lease);
        else await refundAll(current, lease, signal);
      }
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
