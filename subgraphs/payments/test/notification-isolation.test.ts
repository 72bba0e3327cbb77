import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PaymentEventTypes } from "#kernel";
import { waitFor } from "#kernel/testing";
import type { NotificationSender } from "../../../services/notifications/src/index.js";
import { openPaymentsHarness, type PaymentsHarness } from "./support/payments-harness.js";

/** A mail server that is down for good. */
const brokenSender: NotificationSender = {
  engine: "broken",
  send: async () => {
    throw new Error("connect ECONNREFUSED mail server");
  },
  close: async () => {},
};

describe("notifications failing", () => {
  let h: PaymentsHarness;
  before(async () => {
    h = await openPaymentsHarness({ database: "embedded", bus: { kind: "embedded" }, sender: brokenSender });
  });
  after(() => h?.close());

  it("never hold up a payment: it settles and is announced while its email goes to the dead-letter topic", async () => {
    const payment = await h.createPayment();
    await h.requestPayment(payment);
    await waitFor("the payment succeeds", async () => (await h.paymentRow(payment.paymentId)).status === "SUCCEEDED");
    const confirmed = await waitFor("PaymentConfirmed is on the bus", () => h.outcomes(payment.paymentId, PaymentEventTypes.confirmed).length === 1).then(
      () => h.outcomes(payment.paymentId, PaymentEventTypes.confirmed)[0]!,
    );
    await waitFor("the undeliverable email is dead-lettered", () => h.recorded.deadLetters.some((e) => e.id === confirmed.id));
    const letter = h.recorded.deadLetters.find((e) => e.id === confirmed.id)!;
    assert.equal((letter.payload as { consumer: string }).consumer, "notifications");
    assert.match((letter.payload as { error: string }).error, /ECONNREFUSED/);
  });
});
