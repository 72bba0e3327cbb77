import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { PaymentEventTypes, type DomainEvent, type EventBus, type SubscribeOptions, type Subscription } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { customer, dataOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { NamespacedEventBus } from "#kernel/testing";

const ORDER_WITH_PAYMENT = `query($id: ID!) {
  order(id: $id) { id status statusReason payment { id status attempts failureReason amount { amount currency } } total { amount currency } refundedTotal { amount } refunds { id } }
}`;

/**
 * Keeps the payments consumer from taking up a customer's PaymentRequested until the test lets
 * it: a payment driven late (a backlog, a lagging or restarted consumer), made certain.
 */
class HeldPaymentRequests implements EventBus {
  readonly engine: string;
  private readonly held = new Map<string, Promise<void>>();

  constructor(private readonly inner: EventBus) {
    this.engine = inner.engine;
  }

  /** Holds the customer's payment requests; the function returned lets them through. */
  hold(userId: string): () => void {
    let open!: () => void;
    this.held.set(userId, new Promise<void>((resolve) => (open = resolve)));
    return () => {
      this.held.delete(userId);
      open();
    };
  }

  publish(topic: string, events: DomainEvent[]): Promise<void> {
    return this.inner.publish(topic, events);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (options.group !== "payments") return this.inner.subscribe(options);
    return this.inner.subscribe({
      ...options,
      handle: async (event) => {
        if (event.type === PaymentEventTypes.requested) await this.held.get(String((event.payload as { userId?: unknown }).userId));
        return options.handle(event);
      },
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

describeOnEngines("payment flow through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let mailDir: string;
  let requests: HeldPaymentRequests;

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
      decorateBus: (bus) => (requests = new HeldPaymentRequests(bus.engine === "kafka" ? new NamespacedEventBus(bus, `e2e-${randomUUID().slice(0, 8)}`) : bus)),
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

  it("an order cancelled before its payment is first driven: no charge call reaches the provider, the order stays CANCELLED with nothing refunded, its payment FAILED", async () => {
    const c = await customer(sg);
    const letThrough = requests.hold(c.userId);
    const order = await c.placeOrder({ prod_0000010: 1 });
    const cancelled = dataOf(await sg.query(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, c.token)).cancelOrder;
    assert.equal(cancelled.status, "CANCELLED");
    letThrough();
    let seen: any;
    await waitFor(
      "the payment settles",
      async () => {
        seen = dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, c.token)).order;
        return seen.payment !== null && seen.payment.status !== "PENDING";
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    assert.equal(seen.payment.status, "FAILED", "not charged, so nothing to refund");
    assert.equal(seen.payment.attempts, 0, "no charge call was sent");
    assert.match(seen.payment.failureReason, /cancelled before its payment was taken/);
    assert.equal(simulator.ledger({ orderId: order.id }).charges.length, 0, "nothing executed at the provider");
    // The failure, once the orders subgraph has applied it, leaves the cancel as it was, with nothing to give back.
    const db = createPrismaClient(sg.databaseUrl, { poolSize: 1 });
    try {
      const failed = await db.outboxEvent.findFirstOrThrow({ where: { key: order.id, type: PaymentEventTypes.failed } });
      await waitFor("the orders subgraph has applied PaymentFailed", async () => (await db.processedEvent.count({ where: { consumer: "orders", eventId: failed.id } })) === 1, { timeoutMs: 20_000 });
    } finally {
      await db.$disconnect();
    }
    const final = dataOf(await sg.query(ORDER_WITH_PAYMENT, { id: order.id }, c.token)).order;
    assert.equal(final.status, "CANCELLED");
    assert.equal(final.refundedTotal.amount, 0);
    assert.deepEqual(final.refunds, []);
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
