import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, metricsRegistry } from "#kernel";
import { engineSuiteTitle, waitFor } from "#kernel/testing";
import { lateCaptureRefundKey } from "../src/domain/payment.js";
import { createLateCaptureSweep, LATE_CAPTURE_LOOKBACK_MS } from "../src/domain/late-capture-sweep.js";
import { HttpPaymentProvider } from "../src/adapters/http-payment-provider.js";
import { openPaymentsHarness, type HarnessOptions, type PaymentsHarness, type TestPayment } from "./support/payments-harness.js";

/**
 * Money the provider captured for a payment that had already failed (its search did not show
 * the capture when the failure was decided) goes back to the customer: once, whichever replica
 * finds it, and also when the process stops between the refund and its record.
 */
export function defineLateCaptureScenarios(engine: string, options: () => HarnessOptions, { timeoutMs = 20_000 } = {}): void {
  describe(engineSuiteTitle("Captures on failed payments", engine), { timeout: 180_000 }, () => {
    let h: PaymentsHarness;
    const until = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(what, condition, { timeoutMs, intervalMs: 20 });
    const keyOf = (payment: TestPayment) => ({ id_userId: { id: payment.paymentId, userId: payment.userId } });
    /** Moves the payment's last change (when it failed) `ms` back. */
    const failedAgo = (payment: TestPayment, ms: number) => h.prisma.payment.update({ where: keyOf(payment), data: { updatedAt: new Date(Date.now() - ms) } });

    /** What the late-capture counter holds for an outcome (operators are alerted on it). */
    const lateCapturesCounted = async (outcome: string): Promise<number> => {
      const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === "storefront_payment_late_captures_total");
      return Number(metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0);
    };

    before(async () => {
      h = await openPaymentsHarness(options());
    });
    after(() => h?.close());

    /**
     * A payment whose first call was captured at the provider and answered with a 500, whose
     * retries met 503s, tried for PAYMENT_RETRY_FOR_MS and then failed on a search that did not
     * show the capture yet: FAILED, with the customer's money at the provider.
     */
    async function failedWithItsCaptureHidden(): Promise<TestPayment> {
      const payment = await h.createPayment({ amount: 3100 });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "lose", times: 1 });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail" });
      // The drive's own search, and the one the failure is decided on.
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "lookup" }, action: "stale", times: 2 });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      const { retryForMs, providerSearchLagMs } = h.config.payments;
      const longAgo = new Date(Date.now() - providerSearchLagMs - 1_000);
      await h.prisma.paymentAttempt.updateMany({ where: { paymentId: payment.paymentId, userId: payment.userId }, data: { startedAt: longAgo, finishedAt: longAgo } });
      await h.prisma.payment.update({ where: keyOf(payment), data: { createdAt: new Date(Date.now() - retryForMs - 1_000), updatedAt: new Date(Date.now() - 60_000) } });
      await h.payments.processor.sweepOnce();
      await until("the payment fails", async () => (await h.paymentRow(payment.paymentId)).status === "FAILED");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1, "the provider holds the capture");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).refunds.length, 0);
      return payment;
    }

    /** The provider gave the capture back once, in full, and the payment records it once. */
    async function assertRefundedOnce(payment: TestPayment): Promise<void> {
      const { charges, refunds } = h.simulator.ledger({ paymentId: payment.paymentId });
      assert.equal(refunds.length, 1, "refunded once at the provider");
      assert.equal(refunds[0]!.amount, payment.amount);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED", "the order's payment stays failed");
      assert.equal(row.providerRef, charges[0]!.id);
      assert.equal(row.refundRef, refunds[0]!.id);
      assert.ok(row.refundedAt);
      assert.equal(row.leaseOwner, null);
      const recorded = await h.prisma.paymentRefund.findMany({ where: { paymentId: payment.paymentId } });
      assert.deepEqual(recorded.map((r) => [r.status, r.amount, r.providerIdempotencyKey, r.providerRef]), [["SUCCEEDED", payment.amount, lateCaptureRefundKey(payment.paymentId), refunds[0]!.id]]);
    }

    it("refunds a capture the provider shows only after the payment failed, once, on the sweep after the search lag", async () => {
      const payment = await failedWithItsCaptureHidden();
      assert.deepEqual(await h.payments.lateCaptures.sweepOnce(), [], "just failed: the search that failed it is the latest word");
      await failedAgo(payment, h.config.payments.providerSearchLagMs + 1_000);
      const countedBefore = await lateCapturesCounted("refunded");
      assert.deepEqual(await h.payments.lateCaptures.sweepOnce(), ["refunded"]);
      await assertRefundedOnce(payment);
      assert.equal(await lateCapturesCounted("refunded"), countedBefore + 1, "counted for the alert");
      // Later sweeps leave it alone: nothing is refunded twice.
      await failedAgo(payment, 10 * h.config.payments.providerSearchLagMs);
      assert.deepEqual(await h.payments.lateCaptures.sweepOnce(), []);
      await assertRefundedOnce(payment);
      assert.equal(await lateCapturesCounted("refunded"), countedBefore + 1);
    });

    it("refunds once when the refund's answer is lost (a crash between refund and record) and two replicas sweep at once", async () => {
      const payment = await failedWithItsCaptureHidden();
      // The provider refunds and the answer is lost: the record is not written.
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "refund" }, action: "lose", times: 1 });
      await failedAgo(payment, h.config.payments.providerSearchLagMs + 1_000);
      assert.deepEqual(await h.payments.lateCaptures.sweepOnce(), ["refund-pending"]);
      assert.equal((await h.paymentRow(payment.paymentId)).refundedAt, null);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).refunds.length, 1, "the provider did refund");
      // Another replica's sweep, with its own lease, runs alongside this process's.
      const provider = new HttpPaymentProvider({ baseUrl: h.simulator.url, timeoutMs: h.config.payments.providerTimeoutMs });
      const replica = createLateCaptureSweep({
        store: h.payments.store,
        provider,
        logger: createLogger("silent"),
        lease: { owner: "replica-2", ms: 30_000 },
        schedule: { firstAfterMs: h.config.payments.providerSearchLagMs, lookbackMs: LATE_CAPTURE_LOOKBACK_MS },
        intervalMs: 600_000,
      });
      try {
        await failedAgo(payment, h.config.payments.providerSearchLagMs + 1_000);
        const [here, there] = await Promise.all([h.payments.lateCaptures.sweepOnce(), replica.sweepOnce()]);
        assert.deepEqual([...here, ...there].filter((result) => result === "refunded"), ["refunded"], `${here} / ${there}`);
      } finally {
        await replica.stop();
        await provider.close();
      }
      await assertRefundedOnce(payment);
    });

    it("leaves a payment the card issuer declined alone: that key never captures", async () => {
      const payment = await h.createPayment({ paymentMethod: "pm_card_declined" });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "FAILED");
      await failedAgo(payment, h.config.payments.providerSearchLagMs + 1_000);
      assert.deepEqual(await h.payments.lateCaptures.sweepOnce(), []);
    });
  });
}
