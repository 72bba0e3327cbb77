import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { PaymentEventTypes, Topics, newEvent, type RefundRequestedPayload } from "#kernel";
import { engineSuiteTitle, waitFor } from "#kernel/testing";
import { partialRefundKey } from "../src/domain/payment.js";
import { openPaymentsHarness, type HarnessOptions, type PaymentsHarness, type TestPayment } from "./support/payments-harness.js";

/**
 * Partial refunds and payment-method tokens through the payments processor, the outbox and the
 * simulator, on each engine pair: each refund paid once under its own key, never beyond the
 * capture; the token reaches the provider and is not kept once the charge settles.
 */
export function defineRefundProcessingScenarios(engine: string, options: () => HarnessOptions, { timeoutMs = 20_000 } = {}): void {
  describe(engineSuiteTitle("Refund and payment-method processing", engine), { timeout: 180_000 }, () => {
    let h: PaymentsHarness;
    const until = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(what, condition, { timeoutMs, intervalMs: 20 });
    const settled = (paymentId: string) => until(`payment ${paymentId} settles`, async () => (await h.paymentRow(paymentId)).status !== "PENDING");
    const refundRows = (paymentId: string) => h.prisma.paymentRefund.findMany({ where: { paymentId }, orderBy: { createdAt: "asc" } });

    before(async () => {
      h = await openPaymentsHarness(options());
    });
    after(() => h?.close());

    async function captured(amount = 3000, paymentMethod?: string): Promise<TestPayment> {
      const payment = await h.createPayment({ amount });
      await h.bus.publish(Topics.payments, [newEvent(PaymentEventTypes.requested, payment.orderId, { ...payment, ...(paymentMethod && { paymentMethod }) })]);
      await settled(payment.paymentId);
      return payment;
    }
    const refundEvent = (payment: TestPayment, refundId: string, amount: number) =>
      newEvent<RefundRequestedPayload>(PaymentEventTypes.refundRequested, payment.orderId, { orderId: payment.orderId, refundId, amount, currency: payment.currency });

    it("pays two partial refunds of one payment once each, by order id, and REFUNDED once they add up", async () => {
      const payment = await captured(3000);
      const first = refundEvent(payment, randomUUID(), 1000);
      await h.bus.publish(Topics.payments, [first, first]);
      await until("the first refund is paid", async () => (await refundRows(payment.paymentId)).some((r) => r.status === "SUCCEEDED"));
      assert.equal((await h.paymentRow(payment.paymentId)).status, "SUCCEEDED", "partly refunded: still captured");
      const second = refundEvent(payment, randomUUID(), 2000);
      await h.bus.publish(Topics.payments, [second]);
      await until("the payment is refunded", async () => (await h.paymentRow(payment.paymentId)).status === "REFUNDED");
      const ledger = h.simulator.ledger({ paymentId: payment.paymentId });
      assert.deepEqual(ledger.refunds.map((r) => r.amount).sort(), [1000, 2000]);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.refundRequestedAt, null, "nothing left to do");
      await until("two PaymentRefunded events, one per refund", () => h.outcomes(payment.paymentId, PaymentEventTypes.refunded).length === 2);
      const refunded = h.outcomes(payment.paymentId, PaymentEventTypes.refunded).map((e) => e.payload as { refundId: string; amount: number });
      assert.deepEqual(new Set(refunded.map((p) => p.refundId)), new Set([first.payload.refundId, second.payload.refundId]));
    });

    it("20 redeliveries of one refund at once: one provider refund", async () => {
      const payment = await captured(1500);
      const event = refundEvent(payment, randomUUID(), 500);
      await Promise.all(Array.from({ length: 20 }, () => h.payments.processor.handle(structuredClone(event))));
      await h.payments.processor.idle();
      await until("the refund is paid", async () => (await refundRows(payment.paymentId)).every((r) => r.status === "SUCCEEDED"));
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).refunds.length, 1);
      assert.equal((await refundRows(payment.paymentId)).length, 1);
    });

    it("refuses a refund beyond what is left of the payment: never sent, dead-lettered", async () => {
      const payment = await captured(1000);
      await h.payments.processor.handle(refundEvent(payment, randomUUID(), 800));
      await assert.rejects(h.payments.processor.handle(refundEvent(payment, randomUUID(), 300)), /beyond its amount/);
      await h.payments.processor.idle();
      await until("the first refund is paid", async () => (await refundRows(payment.paymentId)).every((r) => r.status === "SUCCEEDED"));
      assert.deepEqual((await refundRows(payment.paymentId)).map((r) => r.amount), [800]);
      assert.deepEqual(h.simulator.ledger({ paymentId: payment.paymentId }).refunds.map((r) => r.amount), [800]);
    });

    it("retries a refund the provider fails transiently, with the same key: paid once", async () => {
      const payment = await captured(1200);
      const refundId = randomUUID();
      h.simulator.addRule({ match: { operation: "refund", paymentId: payment.paymentId }, action: "fail", times: 2 });
      await h.bus.publish(Topics.payments, [refundEvent(payment, refundId, 1200)]);
      await until("the payment is refunded", async () => (await h.paymentRow(payment.paymentId)).status === "REFUNDED");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).refunds.length, 1);
      const attempts = (await h.attempts(payment.paymentId)).filter((a) => a.kind === "REFUND");
      assert.deepEqual(attempts.map((a) => a.outcome), ["TRANSIENT_FAILURE", "TRANSIENT_FAILURE", "SUCCEEDED"]);
    });

    it("pays a refund whose answers came after the deadline once: the same key gets the provider's replay", async () => {
      const payment = await captured(900);
      // A timeout loses the answer, not the work: the first call already paid the refund, the
      // second is answered (late again) with its replay.
      h.simulator.addRule({ match: { operation: "refund", paymentId: payment.paymentId }, action: "timeout", times: 2 });
      await h.bus.publish(Topics.payments, [refundEvent(payment, randomUUID(), 900)]);
      await until("the payment is refunded", async () => (await h.paymentRow(payment.paymentId)).status === "REFUNDED");
      const paid = h.simulator.ledger({ paymentId: payment.paymentId }).refunds;
      assert.deepEqual(paid.map((r) => r.amount), [900], "one refund at the provider");
      const [row] = await refundRows(payment.paymentId);
      assert.deepEqual([row!.status, row!.providerRef], ["SUCCEEDED", paid[0]!.id]);
      const attempts = (await h.attempts(payment.paymentId)).filter((a) => a.kind === "REFUND");
      assert.deepEqual(attempts.map((a) => a.outcome), ["TIMEOUT", "TIMEOUT", "SUCCEEDED"]);
    });

    it("resumes a refund a crashed process left after the provider paid it, with the same key: still one refund", async () => {
      const payment = await captured(1100);
      const charge = (await h.paymentRow(payment.paymentId)).providerRef!;
      // The dead process recorded the refund, claimed the payment, and its call reached the
      // provider (paid); it died before recording the answer.
      const refundId = randomUUID();
      await h.prisma.paymentRefund.create({
        data: { id: refundId, paymentId: payment.paymentId, userId: payment.userId, amount: 1100, currency: payment.currency, providerIdempotencyKey: partialRefundKey(refundId) },
      });
      const first = await fetch(`${h.simulator.url}/v1/refunds`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": partialRefundKey(refundId) },
        body: JSON.stringify({ charge, amount: 1100 }),
      });
      assert.equal(first.status, 200);
      const longAgo = new Date(Date.now() - 60_000);
      await h.prisma.payment.update({
        where: { id_userId: { id: payment.paymentId, userId: payment.userId } },
        data: { refundRequestedAt: longAgo, leaseOwner: "a-dead-process", leaseUntil: longAgo, updatedAt: longAgo },
      });
      await h.payments.processor.sweepOnce();
      await until("the payment is refunded", async () => (await h.paymentRow(payment.paymentId)).status === "REFUNDED");
      const paid = h.simulator.ledger({ paymentId: payment.paymentId }).refunds;
      assert.deepEqual(paid.map((r) => r.amount), [1100], "the replayed refund, not a second one");
      assert.deepEqual((await refundRows(payment.paymentId)).map((r) => [r.status, r.providerRef]), [["SUCCEEDED", paid[0]!.id]]);
    });

    it("charges with the payment-method token: pm_card_declined fails the payment, pm_card_transient succeeds after retries; the token is not kept", async () => {
      const declined = await captured(900, "pm_card_declined");
      const declinedRow = await h.paymentRow(declined.paymentId);
      assert.equal(declinedRow.status, "FAILED");
      assert.match(declinedRow.failureReason ?? "", /declined \(generic_decline\)/);
      assert.equal(declinedRow.paymentMethod, null);
      assert.equal(h.simulator.ledger({ paymentId: declined.paymentId }).charges.length, 0);

      const transient = await captured(900, "pm_card_transient");
      const transientRow = await h.paymentRow(transient.paymentId);
      assert.equal(transientRow.status, "SUCCEEDED");
      assert.equal(transientRow.attempts, 3);
      assert.equal(transientRow.paymentMethod, null, "kept only until the charge settled");
      assert.equal(h.simulator.ledger({ paymentId: transient.paymentId }).charges.length, 1);

      const unknown = await captured(900, "pm_card_unheard_of");
      assert.equal((await h.paymentRow(unknown.paymentId)).status, "FAILED");
      const ok = await captured(900, "pm_card_ok");
      assert.equal((await h.paymentRow(ok.paymentId)).status, "SUCCEEDED");
    });
  });
}
