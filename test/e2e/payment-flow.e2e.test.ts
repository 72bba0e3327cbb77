import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { customer, dataOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { NamespacedEventBus } from "#kernel/testing";

const ORDER_WITH_PAYMENT = `query($id: ID!) {
  order(id: $id) { id status statusReason payment { id status attempts failureReason amount { amount currency } } total { amount currency } }
}`;

describeOnEngines("payment flow through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let mailDir: string;

  /** The customer's emails about one order, by kind (file names carry the kind). */
  const mailsFor = (orderId: string) =>
    readdirSync(mailDir)
      .filter((file) => file.endsWith(".eml"))
      .map((file) => ({ file, content: readFileSync(join(mailDir, file), "utf8") }))
      .filter((mail) => mail.content.includes(orderId));

  /** A customer with an account: the notification service mails the address the account holds. */
  async function signedUpCustomer() {
    const email = `Payer.${randomUUID().slice(0, 8)}@example.com`;
    const answer = await sg.query(`mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`, { input: { email, password: "password-123", name: "Payer" } });
    return { email, ...(await customer(sg, dataOf(answer).signUp.user.id)) };
  }

  before(async () => {
    mailDir = mkdtempSync(join(tmpdir(), "storefront-payment-flow-mail-"));
    simulator = await startPaymentSimulator({ latencyMs: 20, hangMs: 10_000 });
    sg = await startCheckoutSupergraph({
      engines,
      env: { PAYMENT_PROVIDER_URL: simulator.url, PAYMENT_PROVIDER_TIMEOUT_MS: "1000", PAYMENT_RETRY_BASE_MS: "50", NOTIFICATIONS_DIR: mailDir },
      // Consumer groups of their own too, not only topics: a Kafka group shared with another
      // run (every supergraph has a `payments` group) would be given only that run's topics.
      decorateBus: (bus) => (bus.engine === "kafka" ? new NamespacedEventBus(bus, `e2e-${randomUUID().slice(0, 8)}`) : bus),
    });
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
    rmSync(mailDir, { recursive: true, force: true });
  });

  it("a declined card: the order ends PAYMENT_FAILED, its payment FAILED with the reason, and the customer is told at their account's address", async () => {
    const c = await signedUpCustomer();
    simulator.addRule({ match: { customer: c.userId }, action: "decline", declineCode: "insufficient_funds" });
    const order = await c.placeOrder({ prod_0000007: 1 });
    await waitForStatus(sg, c.token, order.id, "PAYMENT_FAILED");
    const seen = dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, c.token)).order;
    assert.equal(seen.payment.status, "FAILED");
    assert.equal(seen.payment.attempts, 1);
    assert.match(seen.payment.failureReason, /declined \(insufficient_funds\)/);
    assert.deepEqual(seen.payment.amount, seen.total);
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 0);
    await waitFor("the order-placed and payment-failed emails are written", () => ["order_placed", "payment_failed"].every((kind) => mailsFor(order.id).some((m) => m.file.includes(kind))), { timeoutMs: 15_000 });
    const failedMail = mailsFor(order.id).find((m) => m.file.includes("payment_failed"))!.content;
    assert.match(failedMail, new RegExp(`^To: ${c.email.replaceAll(".", "\\.")}$`, "m"));
  });

  it("a provider that times out twice: ONE charge at the provider, the payment SUCCEEDED after 3 attempts, the order PAID", async () => {
    const c = await signedUpCustomer();
    simulator.addRule({ match: { customer: c.userId, operation: "charge" }, action: "timeout", times: 2 });
    const order = await c.placeOrder({ prod_0000008: 2 });
    assert.equal(order.status, "PENDING", "checkout answers before the provider does");
    await waitForStatus(sg, c.token, order.id, "PAID", 20_000);
    const seen = dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, c.token)).order;
    assert.equal(seen.payment.status, "SUCCEEDED");
    assert.equal(seen.payment.attempts, 3);
    const charges = simulator.ledger({ orderId: order.id }).charges;
    assert.equal(charges.length, 1);
    assert.equal(charges[0]!.amount, order.total.amount);
    await waitFor("the payment-received email is written", () => mailsFor(order.id).some((m) => m.file.includes("payment_confirmed")), { timeoutMs: 15_000 });
  });

  it("shows a payment to its customer and admins only", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ prod_0000009: 1 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    const stranger = await customer(sg);
    assert.equal(dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, stranger.token)).order, null);
    const admin = await sg.token("payments-admin", ["admin"]);
    assert.equal(dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, admin)).order.payment.status, "SUCCEEDED");
  });
});
