import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PaymentEventTypes, Topics, newEvent } from "#kernel";
import { engineSuiteTitle, waitFor } from "#kernel/testing";
import { chargeKey } from "../src/domain/payment.js";
import { NOTHING_CHARGED } from "../src/domain/payment.service.js";
import { CUSTOMER_MAIL_DOMAIN } from "../../../services/notifications/src/index.js";
import { openPaymentsHarness, type HarnessOptions, type PaymentsHarness } from "./support/payments-harness.js";
import { watchQueriesDuring } from "../../../test/support/sent-queries.js";

/**
 * The payment flow's guarantees, run against each engine pair (embedded PostgreSQL with the
 * embedded bus; real PostgreSQL with Kafka): what the issue asks to be proven.
 */
export function definePaymentProcessingScenarios(engine: string, options: () => HarnessOptions, { timeoutMs = 20_000 } = {}): void {
  describe(engineSuiteTitle("Payment processing", engine), { timeout: 180_000 }, () => {
    let h: PaymentsHarness;
    const until = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(what, condition, { timeoutMs, intervalMs: 20 });
    const settled = (paymentId: string) => until(`payment ${paymentId} settles`, async () => (await h.paymentRow(paymentId)).status !== "PENDING");
    /** The provider holds exactly one capture for the payment, the one its row names. */
    const assertCapturedOnce = (paymentId: string, providerRef: string | null) => {
      const charges = h.simulator.ledger({ paymentId }).charges;
      assert.equal(charges.length, 1);
      assert.equal(providerRef, charges[0]!.id);
    };
    /** Moves every charge call of the payment back to `at`, as if made then. */
    const lastCalled = (payment: { paymentId: string; userId: string }, at: Date) =>
      h.prisma.paymentAttempt.updateMany({ where: { paymentId: payment.paymentId, userId: payment.userId }, data: { startedAt: at, finishedAt: at } });
    /** Makes a payment look forgotten, so the recovery sweep takes it up. */
    const backdate = (payment: { paymentId: string; userId: string }) =>
      h.prisma.payment.update({ where: { id_userId: { id: payment.paymentId, userId: payment.userId } }, data: { updatedAt: new Date(Date.now() - 60_000) } });

    before(async () => {
      h = await openPaymentsHarness(options());
    });
    after(() => h?.close());

    it("captures a requested payment once and publishes PaymentConfirmed", async () => {
      const payment = await h.createPayment({ amount: 4200 });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, 1);
      const [charge] = h.simulator.ledger({ paymentId: payment.paymentId }).charges;
      assert.equal(row.providerRef, charge!.id);
      assert.equal(charge!.amount, 4200);
      await until("PaymentConfirmed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.confirmed).length === 1);
      assert.deepEqual(h.outcomes(payment.paymentId, PaymentEventTypes.confirmed)[0]!.payload, {
        paymentId: payment.paymentId,
        orderId: payment.orderId,
        providerRef: charge!.id,
        attempts: 1,
        userId: payment.userId,
        amount: 4200,
        currency: "USD",
      });
    });

    it("fails a declined payment with its reason, publishes PaymentFailed and notifies the customer", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { customer: payment.userId }, action: "decline", declineCode: "insufficient_funds" });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.equal(row.attempts, 1, "a decline is final: no retry");
      assert.match(row.failureReason ?? "", /declined \(insufficient_funds\)/);
      await until("PaymentFailed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.failed).length === 1);
      assert.equal((h.outcomes(payment.paymentId, PaymentEventTypes.failed)[0]!.payload as { reason: string }).reason, row.failureReason);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0);
      await until("the customer's payment-failed email is written", () => h.notificationsFor(payment.orderId).some((n) => n.file.includes("payment_failed")));
      const mail = h.notificationsFor(payment.orderId).find((n) => n.file.includes("payment_failed"))!.content;
      assert.match(mail, new RegExp(`^To: ${payment.userId}@${CUSTOMER_MAIL_DOMAIN.replaceAll(".", "\\.")}`, "m"));
      assert.match(mail, /insufficient_funds/);
    });

    it("charges once when the provider times out twice then answers: SUCCEEDED after 3 attempts", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "timeout", times: 2 });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, 3);
      const charges = h.simulator.ledger({ paymentId: payment.paymentId }).charges;
      assert.equal(charges.length, 1, "one charge at the provider");
      assert.equal(row.providerRef, charges[0]!.id);
      assert.equal(row.providerIdempotencyKey, chargeKey(payment.paymentId));
      assert.deepEqual((await h.attempts(payment.paymentId)).map((a) => a.outcome), ["TIMEOUT", "TIMEOUT", "SUCCEEDED"]);
      await until("PaymentConfirmed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.confirmed).length === 1);
      assert.equal((h.outcomes(payment.paymentId, PaymentEventTypes.confirmed)[0]!.payload as { attempts: number }).attempts, 3);
    });

    it("asks the provider before failing a payment whose answers were all lost: it was captured, so SUCCEEDED", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "timeout" });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, h.config.payments.maxAttempts);
      assertCapturedOnce(payment.paymentId, row.providerRef);
    });

    it("keeps a payment in doubt PENDING when the provider cannot say, until the sweep settles it", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "timeout", times: h.config.payments.maxAttempts });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "lookup" }, action: "fail", times: 1 });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const inDoubt = await h.paymentRow(payment.paymentId);
      assert.equal(inDoubt.status, "PENDING");
      assert.equal(inDoubt.leaseOwner, null, "released for the sweep");
      await h.prisma.payment.update({ where: { id_userId: { id: payment.paymentId, userId: payment.userId } }, data: { updatedAt: new Date(Date.now() - 60_000) } });
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, h.config.payments.maxAttempts + 1);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
    });

    it("charges a payment the sweep reaches before its request event with the method the customer chose (a declining card is not captured)", async () => {
      const payment = await h.createPayment({ paymentMethod: "pm_card_declined" });
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.match(row.failureReason ?? "", /declined/);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0, "nothing captured");
    });

    it("sends one idempotency key with one request: a request event arriving after a charge was sent does not change its method", async () => {
      // A payment placed before checkout wrote its method on it, charged by the sweep (captured,
      // every answer lost, the lookup failing): in doubt. Then its request event arrives.
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "timeout", times: h.config.payments.maxAttempts });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "lookup" }, action: "fail", times: 1 });
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      await h.payments.processor.handle(h.requestEvent({ ...payment, paymentMethod: "pm_card_ok" }));
      await h.payments.processor.idle();
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal((await h.attempts(payment.paymentId)).at(-1)?.outcome, "SUCCEEDED", "the provider replayed the first charge: same key, same request");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
    });

    it("asks the provider before failing on a refusal that follows a lost answer: captured, so SUCCEEDED", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "timeout", times: h.config.payments.maxAttempts });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "lookup" }, action: "fail", times: 1 });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      // The next request under the same key differs (as an older release could make it): the
      // provider refuses the key's reuse, which says nothing of the charge already taken.
      await h.prisma.payment.update({ where: { id_userId: { id: payment.paymentId, userId: payment.userId } }, data: { paymentMethod: "pm_card_ok" } });
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED", row.failureReason ?? "");
      assert.equal((await h.attempts(payment.paymentId)).at(-1)?.outcome, "REJECTED");
      assertCapturedOnce(payment.paymentId, row.providerRef);
    });

    it("settles a payment of nothing (a fully discounted order) without asking the provider", async () => {
      const payment = await h.createPayment({ amount: 0 });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.providerRef, NOTHING_CHARGED);
      assert.equal(row.attempts, 0, "no provider call");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0);
      await until("PaymentConfirmed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.confirmed).length === 1);
      assert.equal((h.outcomes(payment.paymentId, PaymentEventTypes.confirmed)[0]!.payload as { amount: number }).amount, 0);
    });

    it("asks the provider before failing a payment whose charge answered a 5xx after doing the work: captured, so SUCCEEDED", async () => {
      const payment = await h.createPayment();
      // The charge is made and answered 500; every retry meets a 503 (the replay lost too).
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "lose", times: 1 });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail" });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED", row.failureReason ?? "");
      assertCapturedOnce(payment.paymentId, row.providerRef);
    });

    it("asks the provider about a charge answered with a success it cannot read (a 200 with an HTML body): captured, so SUCCEEDED once", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "garble" });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED", row.failureReason ?? "");
      assertCapturedOnce(payment.paymentId, row.providerRef);
    });

    it("leaves a payment PENDING while the provider is still making its charge (409 key in use), never FAILED on a lookup that cannot see it yet", async () => {
      const payment = await h.createPayment();
      // The first call takes the simulator's hang (5 s) to charge; our calls time out after 1 s
      // and every retry finds the key in progress.
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "slow", times: 1 });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const waiting = await h.paymentRow(payment.paymentId);
      assert.equal(waiting.status, "PENDING", waiting.failureReason ?? "");
      assert.equal(waiting.leaseOwner, null, "released for the sweep");
      await until("the provider has made the charge", () => h.simulator.ledger({ paymentId: payment.paymentId }).charges.length === 1);
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
    });

    it("charges once and settles once for 100 concurrent deliveries of one PaymentRequested", async () => {
      const payment = await h.createPayment();
      const event = h.requestEvent(payment);
      await Promise.all(Array.from({ length: 100 }, () => h.payments.processor.handle(event)));
      await h.payments.processor.idle();
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, 1);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
      assert.equal((await h.outboxed(payment.paymentId)).length, 1, "one outcome event");
    });

    it("charges once for many distinct PaymentRequested events of one payment on the bus", async () => {
      const payment = await h.createPayment();
      for (let i = 0; i < 20; i++) await h.requestPayment(payment);
      await settled(payment.paymentId);
      await until("every duplicate is consumed", async () => (await h.prisma.processedEvent.count({ where: { consumer: "payments", eventId: { in: h.recorded.payments.filter((e) => (e.payload as { paymentId?: string }).paymentId === payment.paymentId && e.type === PaymentEventTypes.requested).map((e) => e.id) } } })) === 20);
      await h.payments.processor.idle();
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
      assert.equal((await h.outboxed(payment.paymentId)).length, 1);
      assert.equal((await h.paymentRow(payment.paymentId)).attempts, 1);
    });

    it("keeps a payment PENDING through a provider outage and charges it once when the sweep sends its key again", async () => {
      const payment = await h.createPayment();
      // Every call of the first drive meets a 503 (a blip of a second or two at the provider).
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail", times: h.config.payments.maxAttempts });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const waiting = await h.paymentRow(payment.paymentId);
      assert.equal(waiting.status, "PENDING", waiting.failureReason ?? "");
      assert.equal(waiting.leaseOwner, null, "released for the sweep");
      assert.equal(waiting.attempts, h.config.payments.maxAttempts);
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      assert.equal((await h.paymentRow(payment.paymentId)).status, "SUCCEEDED");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
    });

    it("fails a payment the provider never answered once it has been tried for PAYMENT_RETRY_FOR_MS and the provider's search holds no charge, sending no new charge", async () => {
      const payment = await h.createPayment();
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail" });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      const key = { id_userId: { id: payment.paymentId, userId: payment.userId } };
      const { retryForMs, providerSearchLagMs } = h.config.payments;
      // Old enough to give up, but its last call too recent for the search to be believed: it waits.
      await h.prisma.payment.update({ where: key, data: { createdAt: new Date(Date.now() - retryForMs - 1_000), updatedAt: new Date(Date.now() - 60_000) } });
      await h.payments.processor.sweepOnce();
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING", "not failed on a search that may not show the last call yet");
      await lastCalled(payment, new Date(Date.now() - providerSearchLagMs - 1_000));
      await h.prisma.payment.update({ where: key, data: { updatedAt: new Date(Date.now() - 60_000) } });
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.equal(row.attempts, h.config.payments.maxAttempts, "no charge sent once it gave up");
      assert.match(row.failureReason ?? "", /did not answer for 10 minutes and holds no charge/);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0);
    });

    it("sends no first charge for a payment first driven PAYMENT_RETRY_FOR_MS after checkout (a backlog, the payments processes down), by its event or by the sweep: its order's stock hold may be gone, so it fails with the reason, nothing charged", async () => {
      const { retryForMs } = h.config.payments;
      const checkedOutLongAgo = async () => {
        const payment = await h.createPayment();
        await h.prisma.payment.update({ where: { id_userId: { id: payment.paymentId, userId: payment.userId } }, data: { createdAt: new Date(Date.now() - retryForMs - 1_000) } });
        return payment;
      };
      const byEvent = await checkedOutLongAgo();
      await h.payments.processor.handle(h.requestEvent(byEvent));
      const bySweep = await checkedOutLongAgo();
      await backdate(bySweep);
      await h.payments.processor.sweepOnce();
      await h.payments.processor.idle();
      for (const payment of [byEvent, bySweep]) {
        await settled(payment.paymentId);
        const row = await h.paymentRow(payment.paymentId);
        assert.equal(row.status, "FAILED");
        assert.equal(row.attempts, 0, "no charge call was started");
        assert.match(row.failureReason ?? "", /not sent to the payment provider within 10 minutes of checkout/);
        assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0, "nothing charged");
        await until("PaymentFailed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.failed).length === 1);
      }
    });

    it("sends no charge for an order the customer cancelled while its payment waited out an outage", async () => {
      const payment = await h.createPayment();
      // Nothing executes at the provider (503s before any work); the payment waits, PENDING.
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail", times: h.config.payments.maxAttempts });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      // The customer cancels; the provider is back.
      await h.prisma.order.update({ where: { id_userId: { id: payment.orderId, userId: payment.userId } }, data: { status: "CANCELLED" } });
      const key = { id_userId: { id: payment.paymentId, userId: payment.userId } };
      // Its last calls are older than the provider's search lag: the search is believed.
      await lastCalled(payment, new Date(Date.now() - h.config.payments.providerSearchLagMs - 1_000));
      await h.prisma.payment.update({ where: key, data: { updatedAt: new Date(Date.now() - 60_000) } });
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.match(row.failureReason ?? "", /cancelled before its payment was taken/);
      assert.equal(row.attempts, h.config.payments.maxAttempts, "no charge was sent after the cancel");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0, "nothing captured, nothing to refund");
    });

    /** The order's customer cancels it, as the orders subgraph writes it. */
    const cancelOrder = (payment: { orderId: string; userId: string }) =>
      h.prisma.order.update({ where: { id_userId: { id: payment.orderId, userId: payment.userId } }, data: { status: "CANCELLED" } });
    /** Nothing reached the provider for the payment: no call logged, none executed. */
    const assertNeverCalled = async (paymentId: string) => {
      const row = await h.paymentRow(paymentId);
      assert.equal(row.attempts, 0, "no charge call was sent");
      assert.deepEqual(await h.attempts(paymentId), []);
      assert.equal(h.simulator.ledger({ paymentId }).charges.length, 0, "nothing executed at the provider, nothing to refund");
    };

    /** Every statement naming this payment or its order, from any pg client, while `work` runs. */
    const statementsOf = async (payment: { paymentId: string; orderId: string }, work: () => Promise<void>): Promise<string[]> => {
      const sent: string[] = [];
      await watchQueriesDuring(work, ({ text, values }) => {
        if (values?.some((v) => v === payment.paymentId || v === payment.orderId)) sent.push(text.replace(/\s+/g, " ").slice(0, 60));
      });
      return sent;
    };

    it("logs the call that declines a payment in the statement that settles it: two statements, the attempt DECLINED", async () => {
      const payment = await h.createPayment({ amount: 1500 });
      h.simulator.addRule({ match: { customer: payment.userId }, action: "decline", declineCode: "card_declined" });
      const sent = await statementsOf(payment, async () => {
        await h.payments.processor.handle(h.requestEvent(payment));
        await h.payments.processor.idle();
      });
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      const [attempt, ...more] = await h.attempts(payment.paymentId);
      assert.equal(more.length, 0);
      assert.equal(attempt!.outcome, "DECLINED");
      assert.equal(attempt!.detail, "card_declined");
      assert.ok(attempt!.finishedAt, "the call's end is logged with the outcome");
      assert.equal(sent.length, 2, sent.join("\n"));
    });

    it("claims a payment, asks whether its order was cancelled and starts its first charge call in one statement, and logs the call's end in the settlement: two statements a first charge", async () => {
      const payment = await h.createPayment({ amount: 1500 });
      const sent = await statementsOf(payment, async () => {
        await h.payments.processor.handle(h.requestEvent(payment));
        await h.payments.processor.idle();
      });
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assertCapturedOnce(payment.paymentId, row.providerRef);
      const [attempt, ...more] = await h.attempts(payment.paymentId);
      assert.equal(more.length, 0);
      assert.equal(attempt!.outcome, "SUCCEEDED");
      assert.equal(attempt!.detail, row.providerRef);
      assert.ok(attempt!.finishedAt, "the call's end is logged with the outcome");
      // The claim with the attempt's start (and the cancel check), the settlement with the attempt's end.
      assert.equal(sent.length, 2, sent.join("\n"));
    });

    /** The process that claimed the payment died: its lease ran out long ago. */
    const abandon = (payment: { paymentId: string; userId: string }) =>
      h.prisma.payment.update({
        where: { id_userId: { id: payment.paymentId, userId: payment.userId } },
        data: { leaseUntil: new Date(Date.now() - 1_000), updatedAt: new Date(Date.now() - 60_000) },
      });
    const lease = { owner: "a-process-about-to-die", ms: 30_000 };

    it("starts a first charge call in the claim only for a payment never called with an amount to charge, and never for a cancelled order", async () => {
      const fresh = await h.createPayment();
      const claim = await h.payments.store.claimForRequest("payments", h.requestEvent(fresh), fresh, lease);
      assert.equal(claim.kind, "claimed");
      assert.deepEqual(claim.kind === "claimed" && [claim.firstCharge, claim.payment.attempts], [{ number: 1, attempts: 1 }, 0], "the payment as claimed, before its call");
      assert.deepEqual([(await h.paymentRow(fresh.paymentId)).attempts, (await h.attempts(fresh.paymentId)).map((a) => [a.kind, a.number, a.outcome])], [1, [["CHARGE", 1, null]]]);

      const free = await h.createPayment({ amount: 0 });
      const nothingToCharge = await h.payments.store.claimForRequest("payments", h.requestEvent(free), free, lease);
      assert.deepEqual(nothingToCharge.kind === "claimed" && nothingToCharge.firstCharge, undefined);

      const called = await h.createPayment();
      await h.prisma.payment.update({ where: { id_userId: { id: called.paymentId, userId: called.userId } }, data: { attempts: 1 } });
      const resumed = await h.payments.store.claimForRequest("payments", h.requestEvent(called), called, lease);
      assert.deepEqual(resumed.kind === "claimed" && [resumed.firstCharge, resumed.payment.attempts], [undefined, 1], "a payment called before starts its calls in its drive");

      const withdrawn = await h.createPayment();
      await cancelOrder(withdrawn);
      const refused = await h.payments.store.claimForRequest("payments", h.requestEvent(withdrawn), withdrawn, lease);
      assert.deepEqual(refused.kind === "claimed" && refused.firstCharge, "cancelled");
      for (const payment of [free, withdrawn]) await assertNeverCalled(payment.paymentId);
      assert.deepEqual(await h.attempts(called.paymentId), []);
    });

    it("counts no call it did not start when another process called the payment while the claim waited for its row: the claim leaves it to the sweep", async () => {
      const payment = await h.createPayment();
      const key = { id_userId: { id: payment.paymentId, userId: payment.userId } };
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      // Another process's drive, seen at its end: one call counted, its lease given back.
      const writer = h.prisma.$transaction(
        async (tx) => {
          await tx.payment.update({ where: key, data: { attempts: 1, leaseOwner: null, leaseUntil: null } });
          locked();
          await new Promise<void>((resolve) => (release = resolve));
        },
        { timeout: 30_000 },
      );
      await isLocked;
      const claiming = h.payments.store.claimForRequest("payments", h.requestEvent(payment), payment, lease);
      await until("the claim waits for the payment's row", async () => {
        const [row] = await h.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return row!.n > 0;
      });
      release();
      await writer;
      const claim = await claiming;
      assert.equal(claim.kind, "unclaimable");
      const row = await h.paymentRow(payment.paymentId);
      assert.deepEqual([row.attempts, row.leaseOwner], [1, null], "the other process's count, and no lease taken");
      assert.deepEqual(await h.attempts(payment.paymentId), [], "no call logged by the claim");
    });

    it("charges once a payment whose process died after the claim that started its first charge call, before sending it: the sweep sends the same key", async () => {
      const payment = await h.createPayment();
      await h.payments.store.claimForRequest("payments", h.requestEvent(payment), payment, lease);
      await abandon(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assertCapturedOnce(payment.paymentId, row.providerRef);
      // The call logged by the claim never answered; the sweep's is the one that settled it.
      assert.deepEqual((await h.attempts(payment.paymentId)).map((a) => [a.number, a.outcome]), [[1, null], [2, "SUCCEEDED"]]);
    });

    it("sends no charge for an order cancelled after a process died holding a claim that started its first call, and fails it only once the provider's search can show that call", async () => {
      const payment = await h.createPayment();
      await h.payments.store.claimForRequest("payments", h.requestEvent(payment), payment, lease);
      await abandon(payment);
      await cancelOrder(payment);
      // The logged call may have reached the provider: until its search can show it, the payment waits.
      await h.payments.processor.sweepOnce();
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      await lastCalled(payment, new Date(Date.now() - h.config.payments.providerSearchLagMs - 1_000));
      await abandon(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.match(row.failureReason ?? "", /cancelled before its payment was taken/);
      assert.equal(row.attempts, 1, "no charge was sent after the cancel");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0);
    });

    it("sends no charge for an order cancelled before its payment's first drive (a backlog, a lagging consumer): FAILED at once, PaymentFailed published", async () => {
      const payment = await h.createPayment();
      await cancelOrder(payment);
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.match(row.failureReason ?? "", /cancelled before its payment was taken/);
      await assertNeverCalled(payment.paymentId);
      await until("PaymentFailed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.failed).length === 1);
      assert.equal(h.outcomes(payment.paymentId, PaymentEventTypes.confirmed).length, 0);
    });

    it("sends no charge for an order cancelled before the first call of a payment the sweep resumes (a crash after the claim)", async () => {
      const payment = await h.createPayment();
      await cancelOrder(payment);
      // Claimed by a process that died before calling the provider: attempts 0, lease expired.
      await h.prisma.payment.update({
        where: { id_userId: { id: payment.paymentId, userId: payment.userId } },
        data: { leaseOwner: "crashed-process", leaseUntil: new Date(Date.now() - 1_000), updatedAt: new Date(Date.now() - 60_000) },
      });
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.match(row.failureReason ?? "", /cancelled before its payment was taken/);
      await assertNeverCalled(payment.paymentId);
    });

    it("settles a payment of nothing whose order was cancelled first as the cancel requires: FAILED, not SUCCEEDED", async () => {
      const payment = await h.createPayment({ amount: 0 });
      await cancelOrder(payment);
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "FAILED");
      assert.notEqual(row.providerRef, NOTHING_CHARGED);
      await assertNeverCalled(payment.paymentId);
    });

    it("never fails a charge in doubt on a search that cannot see its capture yet: the key sent again settles it SUCCEEDED, once", async () => {
      const payment = await h.createPayment();
      // Captured and answered 500, every retry a 503, and the provider's search does not show
      // the capture yet (as a real one may not for about a minute).
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "lose", times: 1 });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "charge" }, action: "fail", times: h.config.payments.maxAttempts - 1 });
      h.simulator.addRule({ match: { paymentId: payment.paymentId, operation: "lookup" }, action: "stale", times: 1 });
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      const waiting = await h.paymentRow(payment.paymentId);
      assert.equal(waiting.status, "PENDING", waiting.failureReason ?? "");
      await backdate(payment);
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assertCapturedOnce(payment.paymentId, row.providerRef);
    });

    it("resumes a payment a crashed process left mid-retry, with the same key: still one charge", async () => {
      const payment = await h.createPayment();
      // The dead process: its first call reached the provider (captured), then it died.
      const first = await fetch(`${h.simulator.url}/v1/charges`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": chargeKey(payment.paymentId) },
        body: JSON.stringify({ amount: payment.amount, currency: payment.currency, customer: payment.userId, description: `Order ${payment.orderId}`, metadata: { paymentId: payment.paymentId, orderId: payment.orderId } }),
      });
      assert.equal(first.status, 200);
      const longAgo = new Date(Date.now() - 60_000);
      await h.prisma.payment.update({
        where: { id_userId: { id: payment.paymentId, userId: payment.userId } },
        data: { attempts: 1, providerIdempotencyKey: chargeKey(payment.paymentId), leaseOwner: "a-dead-process", leaseUntil: longAgo, updatedAt: longAgo },
      });
      await h.payments.processor.sweepOnce();
      await settled(payment.paymentId);
      const row = await h.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED");
      assert.equal(row.attempts, 2);
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1, "the replayed charge, not a new one");
    });

    it("leaves a payment whose lease is held by a live process alone", async () => {
      const payment = await h.createPayment();
      const longAgo = new Date(Date.now() - 60_000);
      await h.prisma.payment.update({ where: { id_userId: { id: payment.paymentId, userId: payment.userId } }, data: { leaseOwner: "a-live-process", leaseUntil: new Date(Date.now() + 60_000), updatedAt: longAgo } });
      await h.payments.processor.sweepOnce();
      await h.payments.processor.handle(h.requestEvent(payment));
      await h.payments.processor.idle();
      assert.equal((await h.paymentRow(payment.paymentId)).status, "PENDING");
      assert.equal(h.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 0);
    });

    it("refunds a captured payment on RefundRequested and publishes PaymentRefunded", async () => {
      const payment = await h.createPayment({ amount: 1500 });
      await h.requestPayment(payment);
      await settled(payment.paymentId);
      await h.bus.publish(Topics.payments, [newEvent(PaymentEventTypes.refundRequested, payment.orderId, { paymentId: payment.paymentId, orderId: payment.orderId })]);
      await until("the payment is refunded", async () => (await h.paymentRow(payment.paymentId)).status === "REFUNDED");
      const row = await h.paymentRow(payment.paymentId);
      const ledger = h.simulator.ledger({ paymentId: payment.paymentId });
      assert.equal(ledger.refunds.length, 1);
      assert.equal(ledger.refunds[0]!.amount, 1500);
      assert.equal(row.refundRef, ledger.refunds[0]!.id);
      await until("PaymentRefunded is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.refunded).length === 1);
    });

    it("moves a poison PaymentRequested to the dead-letter topic and keeps consuming", async () => {
      const poison = newEvent(PaymentEventTypes.requested, "ord_poison", { orderId: "ord_poison" });
      const unknown = newEvent(PaymentEventTypes.requested, "ord_unknown", { paymentId: "pay_does_not_exist", orderId: "ord_unknown" });
      await h.bus.publish(Topics.payments, [poison, unknown]);
      const payment = await h.createPayment();
      await h.requestPayment(payment);
      await until("both poison events are dead-lettered", () => [poison.id, unknown.id].every((id) => h.recorded.deadLetters.some((e) => e.id === id)));
      await settled(payment.paymentId);
      assert.equal((await h.paymentRow(payment.paymentId)).status, "SUCCEEDED");
    });
  });
}
