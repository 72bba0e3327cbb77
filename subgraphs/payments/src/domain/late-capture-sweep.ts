import { countLateCapture, watchLateCaptures, type Logger } from "#kernel";
import { lateCaptureRefundKey, type Payment } from "./payment.js";
import { ATTEMPT_OUTCOME } from "./payment.service.js";
import type { PaymentProvider } from "../ports/payment-provider.js";
import type { LateCaptureSchedule, Lease, PaymentKey, PaymentStore } from "../ports/payment-store.js";

/**
 * How long after a payment failed the provider is still asked about it. A payment whose calls
 * may have charged fails only on the provider's word that it holds no charge, asked once its
 * search could show the last call (PAYMENT_PROVIDER_SEARCH_LAG_MS); a capture the provider
 * makes later still (a request it queued, a search slower than its usual lag) would otherwise
 * keep the customer's money for an order that failed. With the interval doubling from the
 * search lag, a day is a dozen searches per such payment.
 */
export const LATE_CAPTURE_LOOKBACK_MS = 24 * 60 * 60_000;

/** What one check of a failed payment came to. */
export type LateCaptureCheck = "refunded" | "none" | "unknown" | "refund-pending" | "taken";

/**
 * The sweep for money captured after its payment failed: each FAILED payment whose calls may
 * have charged is asked about on a doubling schedule (LateCaptureSchedule); a capture found is
 * refunded in full under one idempotency key per payment, and recorded once.
 * - Two replicas: a check holds the payment's lease, so one of them asks and refunds.
 * - A crash midway (after the refund call, before its record): the lease expires, the payment
 *   is still due, and the next check finds the capture again and sends the same key, which the
 *   provider answers with the refund it made: refunded once, recorded then.
 * - A refund the provider does not pay yet (down, refused) keeps the payment due.
 * The failed order stays failed: its stock went back when it failed, and this money was never
 * its payment.
 */
export function createLateCaptureSweep(deps: {
  store: PaymentStore;
  provider: PaymentProvider;
  logger: Logger;
  lease: Lease;
  schedule: LateCaptureSchedule;
  /** Payments checked per sweep. */
  batch?: number;
  intervalMs: number;
}) {
  const { store, provider, logger, lease, schedule } = deps;
  watchLateCaptures();
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<LateCaptureCheck[]> | undefined;

  async function check(key: PaymentKey): Promise<LateCaptureCheck> {
    const payment = await store.claimLateCaptureCheck(key, schedule, lease);
    if (!payment) return "taken";
    try {
      const found = await provider.findCharge(payment.id, stopping.signal);
      if (found.kind === "unknown") {
        await store.releaseLease(payment, lease);
        return "unknown";
      }
      if (found.kind === "none") {
        await store.finishLateCaptureCheck(payment, lease);
        return "none";
      }
      return await refund(payment, found.ref);
    } catch (error) {
      await store.releaseLease(payment, lease).catch(() => undefined);
      throw error;
    }
  }

  async function refund(payment: Payment, chargeRef: string): Promise<LateCaptureCheck> {
    const log = logger.child({ paymentId: payment.id, orderId: payment.orderId, userId: payment.userId });
    log.error("the provider captured a payment after it had failed; refunding the capture", { providerRef: chargeRef, amount: payment.amount.amount, currency: payment.amount.currency });
    const attempt = await store.startAttempt(payment, "REFUND", deps.lease);
    if (attempt === null || attempt === "cancelled") return "taken";
    const idempotencyKey = lateCaptureRefundKey(payment.id);
    const outcome = await provider.refund({ idempotencyKey, chargeRef, amount: payment.amount }, stopping.signal);
    await store.finishAttempt(payment, "REFUND", attempt.number, ATTEMPT_OUTCOME[outcome.kind], "reason" in outcome ? outcome.reason : outcome.ref);
    if (outcome.kind !== "succeeded") {
      // Owed to the customer: never dropped. Due again at the next sweep, under the same key.
      log.error("the refund of a capture on a failed payment is not paid yet; it is tried again", { outcome: outcome.kind, reason: outcome.reason });
      countLateCapture("refund_pending");
      await store.releaseLease(payment, lease);
      return "refund-pending";
    }
    if (!(await store.recordLateCaptureRefund(payment, lease, { chargeRef, refundRef: outcome.ref, idempotencyKey }))) return "taken";
    countLateCapture("refunded");
    log.warn("capture on a failed payment refunded", { providerRef: chargeRef, refundRef: outcome.ref, amount: payment.amount.amount });
    return "refunded";
  }

  async function sweep(): Promise<LateCaptureCheck[]> {
    const results: LateCaptureCheck[] = [];
    for (const key of await store.findLateCaptureChecks(schedule, deps.batch ?? 50)) {
      if (stopping.signal.aborted) break;
      results.push(await check(key).catch((error: unknown) => (logger.warn("late-capture check failed; tried again next sweep", { paymentId: key.id, error: String(error) }), "unknown" as const)));
    }
    return results;
  }

  return {
    /** One sweep (one at a time per process); what each payment it found came to. */
    sweepOnce(): Promise<LateCaptureCheck[]> {
      sweeping ??= sweep()
        .catch((error: unknown) => (logger.warn("late-capture sweep failed", { error: String(error) }), [] as LateCaptureCheck[]))
        .finally(() => (sweeping = undefined));
      return sweeping;
    },
    start(): void {
      timer = setInterval(() => void this.sweepOnce(), deps.intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      stopping.abort();
      await sweeping;
    },
  };
}

export type LateCaptureSweep = ReturnType<typeof createLateCaptureSweep>;
