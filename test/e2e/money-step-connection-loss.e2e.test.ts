// The PostgreSQL connection of one money step ends under it: the checkout's stock hold and order
// statement, the payment's claim and its settlement after the provider captured, the order's
// update on PaymentConfirmed or PaymentFailed, the hold's commit and a decline's give-back, the outbox relay's
// transaction after the broker took its events, a paid order's cancel and its refund. Each step
// is made to wait at its statement on a row lock the test holds, seen waiting in
// pg_stat_activity, and its backend terminated there (the server ending a connection, as a
// failover or an operator does); then the lock goes. Then the same with a lock_timeout set on the
// test's database (a migration's lock outlasting it): the statement is refused, its connection
// lives. The client must get a code and no internals, a retry under the same key must answer, and
// the money and the stock must be audited right (test/support/money-path-audit.ts).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { describeWithRealEngine, realEngineUrl, waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { orderIdFor } from "../../subgraphs/orders/src/domain/checkout.service.js";
import { OutageEventBus } from "../../subgraphs/orders/test/support/test-event-buses.js";
import { codeOf, createStockedProduct, customer, dataOf, TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { PublishHoldingBus } from "../support/publish-holding-bus.js";
import { startHeldProviderCharges, type HeldProviderCharges } from "../support/held-provider-charges.js";
import { auditMoneyPath, stockTotals, type StockTotals } from "../support/money-path-audit.js";

const SUITE = "money path: a step's database connection ended by the server at its statement";
const REAL = ["DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS"] as const;
const missing = REAL.find((variable) => realEngineUrl(variable) === undefined);

if (missing) describeWithRealEngine({ suite: SUITE, engine: "postgresql+redis+kafka", variable: missing }, () => {});
else
  describe(SUITE, { timeout: 600_000 }, () => {
    let sg: CheckoutSupergraph;
    let simulator: RunningPaymentSimulator;
    let provider: HeldProviderCharges;
    let bus: OutageEventBus | undefined;
    let published: PublishHoldingBus | undefined;
    let admin: pg.Client;
    let productId: string;
    let initial: StockTotals;
    const userIds: string[] = [];
    const orderIds: string[] = [];

    before(async () => {
      simulator = await startPaymentSimulator({ latencyMs: 5 });
      provider = await startHeldProviderCharges(simulator.url);
      sg = await startCheckoutSupergraph({
        engines: { name: "real", database: "real", env: { REDIS_URL: realEngineUrl("REDIS_URL")!, KAFKA_BROKERS: realEngineUrl("KAFKA_BROKERS")! } },
        decorateBus: (inner) => (bus = new OutageEventBus((published = new PublishHoldingBus(inner)))),
        env: {
          PAYMENT_PROVIDER_URL: provider.url,
          // The nets under a lost step, brought into the test's minutes.
          PAYMENT_RECOVERY_AFTER_MS: "3000",
          PAYMENT_RECOVERY_INTERVAL_MS: "500",
          ORDER_RECONCILE_AFTER_MS: "6000",
          ORDER_RECONCILE_INTERVAL_MS: "500",
        },
      });
      admin = new pg.Client({ connectionString: sg.databaseUrl });
      await admin.connect();
      productId = await createStockedProduct(sg, 50, 1_200);
      initial = await stockTotals(sg.databaseUrl, [productId]);
    });

    after(async () => {
      provider?.release();
      await admin?.end();
      await sg?.close();
      await provider?.close();
      await simulator?.close();
    });

    type Waiter = { pid: number; since: Date };
    /** Backends of this database waiting on a lock at a statement containing `statement`. */
    const waitersAt = async (statement: string): Promise<Waiter[]> =>
      (
        await admin.query<Waiter>(
          `SELECT pid, query_start AS since FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
          [statement],
        )
      ).rows;

    /**
     * Holds `lockSql` (one row) in a transaction of the test's, runs `start`, waits until a
     * backend waits on the lock at `statement`, does `atWaiter` to it, then lets the lock go.
     * Returns what `start` returned.
     */
    async function whileLockHeld<T>(lockSql: string, lockParams: unknown[], statement: string, start: () => T, atWaiter: (waiter: Waiter) => Promise<void>): Promise<T> {
      const holder = new pg.Client({ connectionString: sg.databaseUrl });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        assert.equal((await holder.query(lockSql, lockParams)).rowCount, 1, `the test locks one row: ${lockSql}`);
        const started = start();
        let waiter: Waiter | undefined;
        await waitFor(`a backend waiting on the lock at ${statement}`, async () => (waiter = (await waitersAt(statement))[0]) !== undefined, { timeoutMs: 60_000 });
        await atWaiter(waiter!);
        await holder.query("COMMIT");
        return started;
      } finally {
        await holder.end();
      }
    }

    /** The step's connection ended by the server while it waits at `statement`. */
    const endConnectionWaitingAt = <T>(lockSql: string, lockParams: unknown[], statement: string, start: () => T) =>
      whileLockHeld(lockSql, lockParams, statement, start, async ({ pid }) => {
        const { rows } = await admin.query<{ ended: boolean }>(`SELECT pg_terminate_backend($1) AS ended`, [pid]);
        assert.equal(rows[0]!.ended, true);
      });

    const statusOf = async (orderId: string) => (await admin.query<{ status: string }>(`SELECT status::text AS status FROM "Order" WHERE id = $1`, [orderId])).rows[0]?.status;
    const untilPaid = (orderId: string) => waitFor(`order ${orderId} PAID`, async () => (await statusOf(orderId)) === "PAID", { timeoutMs: 90_000 });

    const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;

    async function shopper() {
      const c = await customer(sg, `conn-loss-${randomUUID().slice(0, 8)}`);
      userIds.push(c.userId);
      await c.add(productId, 2);
      return c;
    }

    async function audit() {
      const result = await auditMoneyPath({
        databaseUrl: sg.databaseUrl,
        redisUrl: realEngineUrl("REDIS_URL")!,
        provider: simulator,
        orderIds,
        userIds,
        productIds: [productId],
        initial,
        settleTimeoutMs: 90_000,
      });
      assert.deepEqual(result.violations, [], JSON.stringify(result.statuses));
    }

    const CHECKOUT_PAYING_WITH = `mutation($key: String!, $pm: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: $pm) { id } }`;

    /** Places an order with its PaymentRequested held back in the outbox until `go`. */
    async function placedWithEventsHeld(paymentMethod = "pm_card_ok") {
      const c = await shopper();
      bus!.stopBroker();
      let order: { id: string };
      try {
        order = dataOf(await sg.query(CHECKOUT_PAYING_WITH, { key: randomUUID(), pm: paymentMethod }, c.token)).checkout;
      } catch (error) {
        bus!.startBroker();
        throw error;
      }
      orderIds.push(order.id);
      return { c, order, go: () => bus!.startBroker() };
    }

    it("the checkout's order statement cut at the cart's lock answers SERVICE_UNAVAILABLE without internals, gives its hold back, and its retry under the key places the order, paid once", async () => {
      const c = await shopper();
      const key = randomUUID();
      const first = await endConnectionWaitingAt(`SELECT 1 FROM "Cart" WHERE "userId" = $1 FOR UPDATE`, [c.userId], "orders_place(", () => c.checkout(key));
      const answer = await first;
      assert.equal(codeOf(answer), "SERVICE_UNAVAILABLE", JSON.stringify(answer));
      assert.doesNotMatch(JSON.stringify(answer), /orders_place|terminat|prisma|\.ts:\d|at async/i);
      const { rows: holds } = await admin.query<{ status: string }>(`SELECT status::text AS status FROM "Reservation" WHERE id = $1`, [orderIdFor(c.userId, key)]);
      assert.deepEqual(holds, [{ status: "RELEASED" }], "the hold of an order not written is given back at once, not left to expire");
      const retried = dataOf(await c.checkout(key)).checkout;
      assert.equal(dataOf(await c.checkout(key)).checkout.id, retried.id, "the key names one order");
      orderIds.push(retried.id);
      await untilPaid(retried.id);
      await audit();
    });

    it("the checkout's stock hold cut at the variant's lock answers SERVICE_UNAVAILABLE, holds nothing, and its retry under the key places the order, paid once", async () => {
      const c = await shopper();
      const key = randomUUID();
      const first = await endConnectionWaitingAt(`SELECT 1 FROM "StockLevel" WHERE "productId" = $1 FOR UPDATE`, [productId], "inventory_reserve(", () => c.checkout(key));
      const answer = await first;
      assert.equal(codeOf(answer), "SERVICE_UNAVAILABLE", JSON.stringify(answer));
      assert.doesNotMatch(JSON.stringify(answer), /inventory_reserve|terminat|prisma|\.ts:\d|at async/i);
      const { rows: holds } = await admin.query(`SELECT 1 FROM "Reservation" WHERE id = $1`, [orderIdFor(c.userId, key)]);
      assert.deepEqual(holds, [], "the cut statement held nothing");
      const retried = dataOf(await c.checkout(key)).checkout;
      orderIds.push(retried.id);
      await untilPaid(retried.id);
      await audit();
    });

    it("the payment's claim cut at the payment's lock is driven again: the order PAID with one capture", async () => {
      const { order, go } = await placedWithEventsHeld();
      await endConnectionWaitingAt(`SELECT 1 FROM "Payment" WHERE "orderId" = $1 FOR UPDATE`, [order.id], `UPDATE "Payment" SET "leaseOwner"`, go);
      await untilPaid(order.id);
      await audit();
    });

    it("the payment's settlement cut after the provider captured is settled again from the provider's answer under the key: one capture", async () => {
      const { order, go } = await placedWithEventsHeld();
      provider.hold("answers");
      go();
      await waitFor("the provider captured, its answer held", () => provider.held() === 1, { timeoutMs: 60_000 });
      await endConnectionWaitingAt(`SELECT 1 FROM "Payment" WHERE "orderId" = $1 FOR UPDATE`, [order.id], `UPDATE "Payment" SET status`, () => provider.release());
      await untilPaid(order.id);
      await audit();
    });

    it("the order's update on PaymentConfirmed cut at the order's lock is applied again: PAID once, its hold committed", async () => {
      const { order, go } = await placedWithEventsHeld();
      await endConnectionWaitingAt(`SELECT 1 FROM "Order" WHERE id = $1 FOR UPDATE`, [order.id], `FROM "Order" WHERE id`, go);
      await untilPaid(order.id);
      const { rows } = await admin.query<{ to: string }>(`SELECT "to"::text AS to FROM "OrderStatusChange" WHERE "orderId" = $1 ORDER BY at`, [order.id]);
      assert.deepEqual(rows.map((row) => row.to), ["PENDING", "PAID"]);
      await audit();
    });

    it("the hold's commit cut at the reservation's lock is asked again: PAID once, its units sold once", async () => {
      const { order, go } = await placedWithEventsHeld();
      await endConnectionWaitingAt(`SELECT 1 FROM "Reservation" WHERE id = $1 FOR UPDATE`, [order.id], "inventory_commit(", go);
      await untilPaid(order.id);
      await audit();
    });

    it("a declined payment's give-back cut at the reservation's lock is asked again: PAYMENT_FAILED, its units on sale again", async () => {
      const { order, go } = await placedWithEventsHeld("pm_card_declined");
      await endConnectionWaitingAt(`SELECT 1 FROM "Reservation" WHERE id = $1 FOR UPDATE`, [order.id], `FROM "Reservation" WHERE id`, go);
      await waitFor(`order ${order.id} PAYMENT_FAILED`, async () => (await statusOf(order.id)) === "PAYMENT_FAILED", { timeoutMs: 90_000 });
      await audit();
    });

    it("a declined order's update on PaymentFailed cut at the order's lock is applied again: PAYMENT_FAILED once, its units on sale again", async () => {
      const { order, go } = await placedWithEventsHeld("pm_card_declined");
      await endConnectionWaitingAt(`SELECT 1 FROM "Order" WHERE id = $1 FOR UPDATE`, [order.id], `FROM "Order" WHERE id`, go);
      await waitFor(`order ${order.id} PAYMENT_FAILED`, async () => (await statusOf(order.id)) === "PAYMENT_FAILED", { timeoutMs: 90_000 });
      const { rows } = await admin.query<{ to: string }>(`SELECT "to"::text AS to FROM "OrderStatusChange" WHERE "orderId" = $1 ORDER BY at`, [order.id]);
      assert.deepEqual(rows.map((row) => row.to), ["PENDING", "PAYMENT_FAILED"]);
      await audit();
    });

    it("the outbox relay's transaction cut after the broker took its PaymentRequested publishes it again, and the payment is charged once", async () => {
      const c = await shopper();
      const { reached, release } = published!.holdNextPublished("PaymentRequested");
      const order = dataOf(await c.checkout()).checkout;
      orderIds.push(order.id);
      await reached;
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND state = 'idle in transaction' AND position('"OutboxEvent" AS row' in query) > 0`,
      );
      assert.equal(rows.length, 1, "one relay transaction holds the published rows");
      await admin.query(`SELECT pg_terminate_backend($1)`, [rows[0]!.pid]);
      release();
      const { rows: requested } = await admin.query<{ id: string }>(`SELECT id FROM "OutboxEvent" WHERE type = 'PaymentRequested' AND payload->>'orderId' = $1`, [order.id]);
      assert.equal(requested.length, 1);
      await waitFor("the PaymentRequested published again", () => (published!.publishes.get(requested[0]!.id) ?? 0) >= 2, { timeoutMs: 60_000 });
      await untilPaid(order.id);
      await audit();
    });

    it("a paid order's cancel cut at the order's lock answers SERVICE_UNAVAILABLE or CANCELLED, and its retry ends it refunded once with its units back", async () => {
      const c = await shopper();
      const order = dataOf(await c.checkout()).checkout;
      await untilPaid(order.id);
      const onSale = async () => (await admin.query<{ available: number }>(`SELECT available FROM "StockLevel" WHERE "productId" = $1`, [productId])).rows[0]!.available;
      const before = await onSale();
      const first = await endConnectionWaitingAt(`SELECT 1 FROM "Order" WHERE id = $1 FOR UPDATE`, [order.id], `FROM "Order" WHERE id`, () => sg.query(CANCEL, { id: order.id }, c.token));
      const answer = await first;
      if (answer.errors) assert.equal(codeOf(answer), "SERVICE_UNAVAILABLE", JSON.stringify(answer));
      assert.doesNotMatch(JSON.stringify(answer), /terminat|prisma|\.ts:\d|at async/i);
      const retried = dataOf(await sg.query(CANCEL, { id: order.id }, c.token)).cancelOrder;
      assert.equal(retried.status, "CANCELLED");
      await waitFor(
        "the capture refunded and the units back on sale",
        async () => {
          const { charges, refunds } = simulator.ledger({ orderId: order.id });
          return charges.length === 1 && refunds.length === 1 && refunds[0]!.amount === charges[0]!.amount && (await onSale()) === before + 2;
        },
        { timeoutMs: 90_000 },
      );
      const { rows } = await admin.query<{ to: string }>(`SELECT "to"::text AS to FROM "OrderStatusChange" WHERE "orderId" = $1 ORDER BY at`, [order.id]);
      assert.deepEqual(rows.map((row) => row.to), ["PENDING", "PAID", "CANCELLED"]);
      // Out of the audit, which reads a cancelled order as one never paid, and counts a
      // committed hold as sold for good: the cancel's units, back on sale, are counted beside it.
      userIds.splice(userIds.indexOf(c.userId), 1);
      initial.set(productId, initial.get(productId)! + 2);
    });

    it("a cancelled paid order's refund cut at the payment's lock is recorded and sent again: refunded once", async () => {
      const c = await shopper();
      const order = dataOf(await c.checkout()).checkout;
      await untilPaid(order.id);
      await endConnectionWaitingAt(`SELECT 1 FROM "Payment" WHERE "orderId" = $1 FOR UPDATE`, [order.id], `SELECT * FROM "Payment" WHERE`, async () =>
        assert.equal(dataOf(await sg.query(CANCEL, { id: order.id }, c.token)).cancelOrder.status, "CANCELLED"),
      );
      await waitFor(
        "the capture refunded",
        async () => simulator.ledger({ orderId: order.id }).refunds.length > 0 && (await admin.query(`SELECT 1 FROM "Refund" WHERE "orderId" = $1 AND status = 'SUCCEEDED'`, [order.id])).rowCount === 1,
        { timeoutMs: 90_000 },
      );
      const { charges, refunds } = simulator.ledger({ orderId: order.id });
      assert.deepEqual([charges.length, refunds.map((refund) => refund.amount)], [1, [charges[0]!.amount]]);
      // Out of the audit, as the cancel above.
      userIds.splice(userIds.indexOf(c.userId), 1);
      initial.set(productId, initial.get(productId)! + 2);
    });

    describe("a lock_timeout an operator set on the database, the step's lock held past it", () => {
      const databaseName = () => new URL(sg.databaseUrl).pathname.slice(1);
      // A setting of the database reaches connections opened after it: the pools' are ended
      // (idle, between tests) and open again with it.
      const reopenConnections = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'`);
      before(async () => {
        await admin.query(`ALTER DATABASE ${databaseName()} SET lock_timeout = '1500ms'`);
        await reopenConnections();
      });
      after(async () => {
        await admin.query(`ALTER DATABASE ${databaseName()} RESET lock_timeout`);
        await reopenConnections();
      });

      /** The step's statement waiting at `statement` seen to give up at its lock_timeout. */
      const lockOutlivingTimeoutAt = <T>(lockSql: string, lockParams: unknown[], statement: string, start: () => T) =>
        whileLockHeld(lockSql, lockParams, statement, start, (waiter) =>
          waitFor(
            "the waiting statement given up at its lock_timeout",
            async () => !(await waitersAt(statement)).some((row) => row.pid === waiter.pid && row.since.getTime() === waiter.since.getTime()),
            { timeoutMs: 60_000 },
          ),
        );

      it("the checkout's order statement refused at the cart's lock answers SERVICE_UNAVAILABLE, and its retry under the key places the order, paid once", async () => {
        const c = await shopper();
        const key = randomUUID();
        const holder = new pg.Client({ connectionString: sg.databaseUrl });
        await holder.connect();
        let answer;
        try {
          await holder.query("BEGIN");
          await holder.query(`SELECT 1 FROM "Cart" WHERE "userId" = $1 FOR UPDATE`, [c.userId]);
          answer = await c.checkout(key);
        } finally {
          await holder.end();
        }
        assert.equal(codeOf(answer), "SERVICE_UNAVAILABLE", JSON.stringify(answer));
        const retried = dataOf(await c.checkout(key)).checkout;
        orderIds.push(retried.id);
        await untilPaid(retried.id);
        await audit();
      });

      it("the payment's claim refused at the payment's lock is driven again: PAID with one capture", async () => {
        const { order, go } = await placedWithEventsHeld();
        await lockOutlivingTimeoutAt(`SELECT 1 FROM "Payment" WHERE "orderId" = $1 FOR UPDATE`, [order.id], `UPDATE "Payment" SET "leaseOwner"`, go);
        await untilPaid(order.id);
        await audit();
      });

      it("the order's update on PaymentConfirmed refused at the order's lock is applied again: PAID once", async () => {
        const { order, go } = await placedWithEventsHeld();
        await lockOutlivingTimeoutAt(`SELECT 1 FROM "Order" WHERE id = $1 FOR UPDATE`, [order.id], `FROM "Order" WHERE id`, go);
        await untilPaid(order.id);
        await audit();
      });

      it("the hold's commit refused at the reservation's lock is asked again: PAID once, its units sold once", async () => {
        const { order, go } = await placedWithEventsHeld();
        await lockOutlivingTimeoutAt(`SELECT 1 FROM "Reservation" WHERE id = $1 FOR UPDATE`, [order.id], "inventory_commit(", go);
        await untilPaid(order.id);
        await audit();
      });
    });
  });
