import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createErrorFormatter, createLogger, ErrorCode, type DatabaseBounds } from "#kernel";
import { withDirectConnection } from "#kernel/relational";
import pg from "pg";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { orderIdFor } from "../src/domain/checkout.service.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

const POOL_SIZE = 4;
/** A connection is waited for a fraction of a second here (seconds in a service); statements are not squeezed. */
const BOUNDS: DatabaseBounds = { connectMs: 300, statementMs: 2_000, answerMs: 4_000, idleInTransactionMs: 10_000 };
/** How long the pool is kept saturated at most: well past the connection bound. */
const GUARD_MS = 10_000;

const formatError = createErrorFormatter(createLogger("silent"));
const answeredCode = (error: unknown) => formatError({ message: String(error) }, error).extensions?.code;

/**
 * A checkout that took its hold and then finds every connection of its pool busy (a burst, a
 * slow database) must not wait for one past the window in which its key's other attempts wait
 * for its order (LIVE_ATTEMPT_MAX_MS): they would free its hold while the order is still being
 * written. It is refused SERVICE_UNAVAILABLE within the pool's bounds, having written nothing,
 * and its retry under the same key places the order on the same hold.
 */
function defineSaturatedPoolSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("a checkout that finds its pool saturated", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let h: CheckoutHarness;
    // The next checkout to reach its order's statement finds every connection taken until it is answered.
    let saturateBeforePlace: { settled: Promise<unknown> } | undefined;

    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 100 }, {
        pool: { size: POOL_SIZE, bounds: BOUNDS },
        beforePlace: async () => {
          const saturation = saturateBeforePlace;
          saturateBeforePlace = undefined;
          if (!saturation) return;
          let taken = 0;
          let allTaken!: () => void;
          const full = new Promise<void>((resolve) => (allTaken = resolve));
          for (let i = 0; i < POOL_SIZE; i++) {
            void withDirectConnection(h.prisma, async () => {
              if (++taken === POOL_SIZE) allTaken();
              await Promise.race([saturation.settled, sleep(GUARD_MS)]);
            });
          }
          await full;
        },
      });
    });
    after(() => h.close());

    it("is refused SERVICE_UNAVAILABLE having written nothing, and its retry under the key places the order on the same hold", async () => {
      await h.addToCart("ann", "p1", 2);
      let answered!: () => void;
      saturateBeforePlace = { settled: new Promise<void>((resolve) => (answered = resolve)) };
      const first = h.checkout.checkout("ann", "key-1");
      const outcome = await first.then(() => "placed", (error: unknown) => error);
      answered();
      assert.notEqual(outcome, "placed", "the checkout waited for a connection until the pool was free again");
      assert.equal(answeredCode(outcome), ErrorCode.SERVICE_UNAVAILABLE, String(outcome));

      const orderId = orderIdFor("ann", "key-1");
      assert.equal(await h.prisma.order.count({ where: { userId: "ann" } }), 0, "no order was written");
      assert.equal(await h.prisma.payment.count({ where: { userId: "ann" } }), 0);
      assert.equal((await h.cartOf("ann")).lines.length, 1, "the cart is as it was");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "the hold waits for the retry (or expiry)");

      const order = await h.checkout.checkout("ann", "key-1");
      assert.equal(order.id, orderId);
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(orderId), "HELD");
      assert.equal(h.reservations.available("p1"), 98, "two units held, once");
      assert.equal((await h.cartOf("ann")).lines.length, 0);
    });

    it("whose connection is cut while its order's statement waits on the server answers only once that statement cannot commit: never an order whose hold was given back", async () => {
      await h.addToCart("cal", "p1", 1);
      const orderId = orderIdFor("cal", "key-cut");
      // Another transaction holds the cart's row, so the order's statement waits on the server.
      const blocker = new pg.Client({ connectionString: h.databaseUrl });
      await blocker.connect();
      const query = pg.Client.prototype.query;
      try {
        await blocker.query("BEGIN");
        await blocker.query(`SELECT 1 FROM "Cart" WHERE "userId" = 'cal' FOR UPDATE`);
        // The network drops the order's connection a moment after the statement left: the
        // client hears nothing more, the server's backend keeps waiting on the row.
        pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
          const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
          if (text?.includes("orders_place(")) {
            const cut = this as unknown as { connection: { stream: { destroy(): void } } };
            setTimeout(() => cut.connection.stream.destroy(), 200);
          }
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof query;
        const outcome = await h.checkout.checkout("cal", "key-cut").then((order) => order, (error: unknown) => error as Error);
        pg.Client.prototype.query = query;
        // The cart's row is free again: a statement still alive on the server would commit now.
        await blocker.query("COMMIT");
        await waitFor("no order statement is left on the server", async () => {
          const { rows } = await blocker.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%orders_place(%' AND state <> 'idle' AND pid <> pg_backend_pid()`);
          return Number(rows[0]!.n) === 0;
        }, { timeoutMs: 10_000 });
        const written = await h.prisma.order.count({ where: { userId: "cal" } });
        assert.deepEqual(
          [written, h.reservations.statusOf(orderId)],
          written === 0 ? [0, "RELEASED"] : [1, "HELD"],
          `answered ${outcome instanceof Error ? outcome.message : "an order"}; an order was written after the checkout gave its hold back`,
        );
      } finally {
        pg.Client.prototype.query = query;
        await blocker.end();
      }
    });
  });
}

defineSaturatedPoolSuite("embedded");
describeWithRealEngine({ suite: "a checkout that finds its pool saturated", engine: "postgresql", variable: "DATABASE_URL" }, () => defineSaturatedPoolSuite("real"));
