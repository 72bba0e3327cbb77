import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { newEvent, PaymentEventTypes } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createPrismaCartStore } from "../../cart/src/adapters/prisma-cart.store.js";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import type { Order } from "../src/domain/order.js";
import { CartChanged, IdempotencyKeyTaken, type OrderStore } from "../src/ports/order-store.js";
import { remainderOf } from "../../../scripts/orders/remote-shards.js";
import { partitionScans, type PlanNode } from "./support/partition-scans.js";
import { openTwoServers } from "./support/two-servers.js";
import { lineAddedAt } from "./support/checkout-defaults.js";
import { createPrismaPaymentStore } from "../../payments/src/adapters/prisma-payment.store.js";

const scansOf = (plan: PlanNode) => partitionScans(plan, "Order");

// Half the partitions on the second server.
const REMOTE = [8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Order partitions on a second PostgreSQL server through postgres_fdw: the live schema, with
 * half its partitions moved (scripts/orders/remote-shards.ts), read and written through the
 * coordinator's partitioned tables.
 */
describeWithRealEngine({ suite: "orders sharded over two PostgreSQL servers", engine: "postgresql", variable: "POSTGRES_SHARD_URL" }, (shardAdminUrl) => {
  describe("orders sharded over two PostgreSQL servers [postgresql]", { timeout: 120_000 }, () => {
    let servers: Awaited<ReturnType<typeof openTwoServers>>;
    let c: pg.Client;
    let s: pg.Client;
    let prisma: PrismaClient;
    let store: OrderStore;
    const customers: { local: string; remote: string } = { local: "", remote: "" };

    before(async () => {
      servers = await openTwoServers(shardAdminUrl, REMOTE);
      ({ c, s } = servers);
      prisma = createPrismaClient(servers.coordinatorUrl, { poolSize: 6 });
      store = createPrismaOrderStore({ prisma });
      for (let i = 0; !customers.local || !customers.remote; i += 1) {
        const userId = `shard-customer-${i}`;
        const remote = REMOTE.includes(await remainderOf(c, userId));
        if (remote && !customers.remote) customers.remote = userId;
        if (!remote && !customers.local) customers.local = userId;
      }
    });
    after(async () => {
      await prisma?.$disconnect();
      await servers?.close();
    });

    // An order as orders_place writes it: the locator, the order, a line, through the parents.
    async function place(userId: string, key: string, id = `ord_${randomUUID().replaceAll("-", "")}`): Promise<string> {
      await c.query("BEGIN");
      try {
        await c.query(`INSERT INTO "OrderLocator" (id, "userId") VALUES ($1, $2)`, [id, userId]);
        await c.query(
          `INSERT INTO "Order" (id, "userId", currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "updatedAt")
           VALUES ($1, $2, 'EUR', 1500, 1500, $3, 'hash', $1, now())`,
          [id, userId, key],
        );
        await c.query(
          `INSERT INTO "OrderItem" ("orderId", "userId", "variantId", "productId", name, sku, "variantTitle", "unitAmount", quantity) VALUES ($1, $2, 'p1', 'p1', 'Lamp', 'SKU-p1', 'Lamp', 1500, 1)`,
          [id, userId],
        );
        await c.query("COMMIT");
        return id;
      } catch (error) {
        await c.query("ROLLBACK");
        throw error;
      }
    }

    it("writes a remote customer's order through the coordinator's parent tables onto the second server", async () => {
      const id = await place(customers.remote, "key-1");
      const r = await remainderOf(c, customers.remote);
      const onShard = await s.query(`SELECT id, "userId" FROM "Order_p${r}" WHERE id = $1`, [id]);
      assert.deepEqual(onShard.rows, [{ id, userId: customers.remote }]);
      assert.equal((await s.query(`SELECT count(*)::int AS n FROM "OrderItem_p${r}" WHERE "orderId" = $1`, [id])).rows[0].n, 1);
      // The coordinator holds no copy: its local partitions have nothing of this customer.
      const local = await c.query(`SELECT count(*)::int AS n FROM "Order" WHERE "userId" = $1 AND tableoid IN (SELECT oid FROM pg_class WHERE relkind = 'r')`, [customers.remote]);
      assert.equal(local.rows[0].n, 0);
      const localId = await place(customers.local, "key-1");
      assert.equal((await s.query(`SELECT count(*)::int AS n FROM "Order" WHERE id = $1`, [localId])).rows[0].n, 0, "a local customer's order stays on the coordinator");
    });

    it("plans a customer's latest orders as one scan: one foreign scan for a remote customer, one local partition otherwise", async () => {
      for (const [userId, type] of [
        [customers.remote, "Foreign Scan"],
        [customers.local, undefined],
      ] as const) {
        const { rows } = await c.query(`EXPLAIN (FORMAT JSON) SELECT * FROM "Order" WHERE "userId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 21`, [userId]);
        const scans = scansOf(rows[0]["QUERY PLAN"][0].Plan);
        assert.equal(scans.length, 1, JSON.stringify(scans));
        assert.equal(scans[0]!.partition, `Order_p${await remainderOf(c, userId)}`);
        if (type) assert.equal(scans[0]!.type, type);
        else assert.notEqual(scans[0]!.type, "Foreign Scan");
      }
    });

    it("finds an order by id alone through the locator, scanning only the server that holds it", async () => {
      const id = await place(customers.remote, "key-by-id");
      const { rows } = await c.query(
        `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM "Order" WHERE id = $1 AND "userId" = (SELECT l."userId" FROM "OrderLocator" l WHERE l.id = $1)`,
        [id],
      );
      const ran = scansOf(rows[0]["QUERY PLAN"][0].Plan).filter((scan) => (scan.loops ?? 0) > 0);
      assert.deepEqual(
        ran.map((scan) => [scan.type, scan.partition]),
        [["Foreign Scan", `Order_p${await remainderOf(c, customers.remote)}`]],
      );
    });

    it("still refuses a customer's second order under one idempotency key: the shard server enforces it", async () => {
      await place(customers.remote, "key-twice");
      await assert.rejects(place(customers.remote, "key-twice"), (error: { code?: string; message?: string }) => error.code === "23505" || /duplicate key/.test(error.message ?? ""));
      await place(customers.local, "key-twice");
      await assert.rejects(place(customers.local, "key-twice"), (error: { code?: string }) => error.code === "23505");
      assert.equal((await c.query(`SELECT count(*)::int AS n FROM "Order" WHERE "idempotencyKey" = 'key-twice'`)).rows[0].n, 2, "one per customer");
    });

    // Checkout's own statement (orders_place) with a cart line, as the store sends it.
    async function checkout(userId: string, key: string): Promise<Order> {
      const price = { amount: 1500, currency: "EUR" };
      const now = new Date();
      const id = `ord_${key}_${userId}`;
      const order: Order = {
        id, userId, status: "PENDING", statusReason: null, total: price, subtotal: price, discountTotal: { amount: 0, currency: "EUR" },
        shippingTotal: { amount: 0, currency: "EUR" }, taxTotal: { amount: 0, currency: "EUR" }, shippingAddress: null, shippingMethod: null,
        couponCode: null, optionsHash: null, idempotencyKey: key, requestHash: "hash", reservationId: id, refundedAmount: 0, deliveredAt: null, createdAt: now, updatedAt: now,
      };
      await store.place({
        order,
        items: [{ orderId: id, variantId: "p1", productId: "p1", name: "Lamp", sku: "SKU-p1", variantTitle: "Lamp", options: [], quantity: 1, unitPrice: price, discount: null, tax: null }],
        payment: { id: `pay_${randomUUID()}`, amount: price, method: null },
        events: [],
        cart: { ordered: [{ variantId: "p1", quantity: 1, accepted: price, addedAt: await lineAddedAt(prisma, userId, "p1") }], unavailable: [] },
        couponId: null,
      });
      return order;
    }
    async function remoteCustomer(prefix: string): Promise<string> {
      for (let i = 0; ; i += 1) if (REMOTE.includes(await remainderOf(c, `${prefix}-${i}`))) return `${prefix}-${i}`;
    }
    const fillCart = (userId: string) =>
      createPrismaCartStore(prisma).changeLine(userId, "p1", () => ({ variantId: "p1", productId: "p1", quantity: 1, accepted: { amount: 1500, currency: "EUR" }, addedAt: new Date() }));

    it("places, reads and cancels a remote customer's order through the store: orders_place and the locked transition reach the second server", async () => {
      const userId = await remoteCustomer("store");
      await fillCart(userId);
      const placed = await checkout(userId, "k1");
      const r = await remainderOf(c, userId);
      assert.equal((await s.query(`SELECT count(*)::int AS n FROM "Order_p${r}" WHERE id = $1`, [placed.id])).rows[0].n, 1);
      assert.equal((await store.findById(placed.id))?.userId, userId);
      assert.deepEqual((await store.listByUser(userId, 20, undefined)).items.map((o) => o.id), [placed.id]);
      assert.equal((await store.itemsOf([placed.id])).get(placed.id)?.[0]?.quantity, 1);
      const cancelled = await store.update(placed.id, async (current) => (current ? { transition: { from: current.status, to: "CANCELLED", reason: "test", at: new Date() }, events: [] } : null));
      assert.equal(cancelled?.status, "CANCELLED");
      assert.deepEqual((await s.query(`SELECT "to"::text AS status FROM "OrderStatusChange_p${r}" WHERE "orderId" = $1 ORDER BY at`, [placed.id])).rows.map((x) => x.status), ["PENDING", "CANCELLED"]);
    });

    it("writes a remote customer's payment, its charge attempt and refund through the coordinator onto the second server, beside the order", async () => {
      const userId = await remoteCustomer("pay");
      await fillCart(userId);
      const placed = await checkout(userId, "pay-1");
      const r = await remainderOf(c, userId);
      const onShard = await s.query(`SELECT id, "orderId" FROM "Payment_p${r}" WHERE "userId" = $1`, [userId]);
      assert.deepEqual(onShard.rows.map((x) => x.orderId), [placed.id], "checkout's payment is on the order's server");
      const paymentId = onShard.rows[0].id as string;
      const payments = createPrismaPaymentStore(prisma);
      const lease = { owner: "shard-test", ms: 30_000 };
      const requested = newEvent(PaymentEventTypes.requested, placed.id, { paymentId, orderId: placed.id, userId });
      const claim = await payments.claimForRequest("payments", requested, { paymentId, orderId: placed.id, userId }, lease);
      assert.equal(claim.kind, "claimed");
      // The claim of a payment never called starts its first charge call, on the shard too.
      const attempt = claim.kind === "claimed" ? claim.firstCharge : undefined;
      assert.ok(attempt !== undefined && attempt !== "cancelled");
      await payments.finishAttempt({ id: paymentId, userId }, "CHARGE", attempt.number, "SUCCEEDED", "ch_1");
      assert.equal((await payments.settleCharge({ id: paymentId, userId }, lease, { status: "SUCCEEDED", providerRef: "ch_1" }, requested))?.status, "SUCCEEDED");
      // A refund names only the order: the coordinator's locator finds the customer, the shard the rows.
      const refund = newEvent(PaymentEventTypes.refundRequested, placed.id, { orderId: placed.id, refundId: "ref-1", amount: 500 });
      assert.equal((await payments.claimForRefund("payments", refund, { orderId: placed.id, refundId: "ref-1", amount: 500 }, lease)).kind, "claimed");
      assert.equal((await s.query(`SELECT count(*)::int AS n FROM "PaymentAttempt_p${r}" WHERE "paymentId" = $1`, [paymentId])).rows[0].n, 1);
      assert.deepEqual((await s.query(`SELECT id, amount FROM "PaymentRefund_p${r}" WHERE "paymentId" = $1`, [paymentId])).rows, [{ id: "ref-1", amount: 500 }]);
      assert.equal((await s.query(`SELECT status::text FROM "Payment_p${r}" WHERE id = $1`, [paymentId])).rows[0].status, "SUCCEEDED");
      const local = await c.query(`SELECT count(*)::int AS n FROM "Payment" WHERE "userId" = $1 AND tableoid IN (SELECT oid FROM pg_class WHERE relkind = 'r')`, [userId]);
      assert.equal(local.rows[0].n, 0, "the coordinator keeps no copy");
      const { rows } = await c.query(`EXPLAIN (FORMAT JSON) SELECT * FROM "Payment" WHERE id = $1 AND "userId" = $2`, [paymentId, userId]);
      assert.deepEqual(
        partitionScans(rows[0]["QUERY PLAN"][0].Plan, "Payment").map((scan) => [scan.type, scan.partition]),
        [["Foreign Scan", `Payment_p${r}`]],
      );
    });

    it("places one order when two checkouts of a remote customer with one key race", async () => {
      const userId = await remoteCustomer("race");
      await fillCart(userId);
      const results = await Promise.allSettled([checkout(userId, "race"), checkout(userId, "race")]);
      assert.equal(results.filter((x) => x.status === "fulfilled").length, 1, JSON.stringify(results.map((x) => x.status)));
      // The loser waits on the cart's row or on the locator's key, whichever it reaches first.
      const refused = results.find((x) => x.status === "rejected") as PromiseRejectedResult;
      assert.ok(refused.reason instanceof IdempotencyKeyTaken || refused.reason instanceof CartChanged, String(refused.reason));
      assert.equal((await c.query(`SELECT count(*)::int AS n FROM "Order" WHERE "userId" = $1`, [userId])).rows[0].n, 1);
      assert.equal((await c.query(`SELECT count(*)::int AS n FROM "Payment" WHERE "userId" = $1`, [userId])).rows[0].n, 1);
    });

    it("refuses an order id another customer already has, on another server, through the coordinator's locator", async () => {
      const id = await place(customers.local, "key-taken");
      await assert.rejects(place(customers.remote, "key-other", id), (error: { code?: string; table?: string }) => error.code === "23505" && error.table === "OrderLocator");
      assert.equal((await s.query(`SELECT count(*)::int AS n FROM "Order" WHERE id = $1`, [id])).rows[0].n, 0, "nothing reached the second server");
    });
  });
});
