// The orders database refusing a payment confirmation for a while, for reasons that say nothing
// about the event: a row lock held past an operator's `lock_timeout` (55P03), a full disk
// (53100). The consumer must ride it out: retried past its dead-letter budget, never moved to
// the dead-letter topic, and applied once the database takes writes again: the order PAID
// once, its stock hold committed once. A confirmation dead-lettered for a full disk left its
// paid order PENDING until the reconciler's next pass.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import pg from "pg";
import { deadLetterTopic, EmbeddedEventBus, newEvent, PaymentEventTypes, Topics, type DomainEvent, type Subscription } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { startPaymentOutcomeConsumer } from "../src/consumers/payment-outcome.consumer.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

/** Failed deliveries to wait for: past withDeadLetter's budget of 5. */
const REFUSALS = 8;

function defineSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("payment confirmations the orders database refuses for a while", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let h: CheckoutHarness;
    let bus: EmbeddedEventBus;
    let consumer: Subscription;
    let operator: pg.Client;
    const dead: DomainEvent[] = [];
    let failures = 0;

    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 10 }, { sessionSettings: { lock_timeout: "50ms" } });
      bus = new EmbeddedEventBus({ maxBackoffMs: 20 });
      await bus.subscribe({ topic: deadLetterTopic(Topics.payments), group: "watch", handle: async (event) => void dead.push(event) });
      const handle = async (event: DomainEvent) => {
        try {
          await h.handlePaymentOutcome(event);
        } catch (error) {
          failures += 1;
          throw error;
        }
      };
      consumer = await startPaymentOutcomeConsumer({ bus, logger: h.logger, handle });
      operator = new pg.Client({ connectionString: h.databaseUrl });
      operator.on("error", () => undefined);
      await operator.connect();
    });
    after(async () => {
      await consumer?.stop();
      await bus?.close();
      await operator?.end();
      await h?.close();
    });
    beforeEach(() => void (failures = 0));

    async function placedOrder(userId: string) {
      await h.addToCart(userId, "p1", 1);
      const order = await h.checkout.checkout(userId, `key-${userId}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      const confirmed = newEvent(PaymentEventTypes.confirmed, order.id, { paymentId: payment.id, orderId: order.id, providerRef: `ref-${order.id}`, attempts: 1, userId });
      return { order, confirmed };
    }

    async function paidOnce(orderId: string, commitsBefore: number): Promise<void> {
      await waitFor("the order is PAID", async () => (await h.store.findById(orderId))!.status === "PAID", { timeoutMs: 20_000, intervalMs: 20 });
      assert.deepEqual(dead.map((event) => event.id), [], "nothing dead-lettered");
      const history = (await h.store.historyOf([orderId])).get(orderId)!.map((c) => `${c.from ?? "-"}>${c.to}`);
      assert.deepEqual(history, ["->PENDING", "PENDING>PAID"]);
      assert.equal(h.reservations.statusOf(orderId), "COMMITTED");
      assert.equal(h.reservations.calls.commit - commitsBefore, 1, "the stock hold committed once");
      assert.equal(await h.prisma.processedEvent.count({ where: { consumer: "orders" } }), (await h.prisma.order.count({ where: { status: "PAID" } })), "one confirmation applied per paid order");
    }

    it("rides out the order's row held past the lock timeout, then pays the order once", async () => {
      const { order, confirmed } = await placedOrder("u-locked");
      const commits = h.reservations.calls.commit;
      // An operator's long transaction (a manual fix, a migration) holds the order's row.
      await operator.query("BEGIN");
      await operator.query(`SELECT 1 FROM "Order" WHERE id = $1 FOR UPDATE`, [order.id]);
      await bus.publish(Topics.payments, [confirmed]);
      await waitFor(`${REFUSALS} refused deliveries, or one dead-lettered`, () => failures >= REFUSALS || dead.length > 0, { timeoutMs: 20_000, intervalMs: 10 });
      assert.deepEqual(dead.map((event) => event.id), [], "a lock held past the timeout says nothing about the event");
      await operator.query("ROLLBACK");
      await paidOnce(order.id, commits);
    });

    it("rides out a full disk, then pays the order once", async () => {
      const { order, confirmed } = await placedOrder("u-disk");
      const commits = h.reservations.calls.commit;
      // Every write of an applied event fails as PostgreSQL fails on a full disk.
      await operator.query(`CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full'; END $$`);
      await operator.query(`CREATE TRIGGER disk_is_full BEFORE INSERT ON "ProcessedEvent" FOR EACH ROW EXECUTE FUNCTION disk_is_full()`);
      try {
        await bus.publish(Topics.payments, [confirmed]);
        await waitFor(`${REFUSALS} refused deliveries, or one dead-lettered`, () => failures >= REFUSALS || dead.length > 0, { timeoutMs: 20_000, intervalMs: 10 });
        assert.deepEqual(dead.map((event) => event.id), [], "a full disk says nothing about the event");
        assert.equal((await h.store.findById(order.id))!.status, "PENDING");
      } finally {
        await operator.query(`DROP TRIGGER disk_is_full ON "ProcessedEvent"`);
      }
      await paidOnce(order.id, commits);
    });
  });
}

defineSuite("embedded");
describeWithRealEngine({ suite: "payment confirmations the orders database refuses for a while", engine: "postgresql", variable: "DATABASE_URL" }, () => defineSuite("real"));
