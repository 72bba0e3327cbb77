import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { PaymentEventTypes, newEvent, type RefundRequestedPayload } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaPaymentStore } from "../src/adapters/prisma-payment.store.js";
import { UnknownPaymentError } from "../src/ports/payment-store.js";
import { openPaymentsHarness, type PaymentsHarness, type TestPayment } from "./support/payments-harness.js";

const PAYMENT_TABLES = ["Payment", "PaymentAttempt", "PaymentRefund"] as const;

/**
 * Payments hash-partitioned by customer like their orders: the store's statements read the
 * customer's partition only (counted by PostgreSQL's own per-table statistics while the real
 * store runs), a forged id reads none, and the guarantees that rest on keys (one charge per
 * payment, one payment per order, refunds within the capture) hold across partitions.
 */
function definePaymentPartitionSuite(engine: "embedded" | "real"): void {
  describe(engineSuiteTitle("payments partitioned by customer", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 120_000 }, () => {
    let h: PaymentsHarness;
    const until = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(what, condition, { timeoutMs: 20_000, intervalMs: 20 });
    const row = (p: TestPayment) => h.prisma.payment.findUniqueOrThrow({ where: { id_userId: { id: p.paymentId, userId: p.userId } } });
    const refundEvent = (p: TestPayment, amount: number, extra: Partial<RefundRequestedPayload> = {}) =>
      newEvent<RefundRequestedPayload>(PaymentEventTypes.refundRequested, p.orderId, { orderId: p.orderId, refundId: randomUUID(), amount, currency: p.currency, ...extra });

    before(async () => {
      h = await openPaymentsHarness({ database: engine, bus: { kind: "embedded" } });
    });
    after(() => h?.close());

    const remainderOf = async (userId: string) =>
      (await h.prisma.$queryRaw<{ r: number }[]>`SELECT r FROM generate_series(0, 15) r WHERE satisfies_hash_partition('"Payment"'::regclass, 16, r, ${userId}::text)`)[0]!.r;

    /** Reads (sequential + index scans) of every partition of the payment tables, as PostgreSQL counts them. */
    async function readsByPartition(): Promise<Map<string, number>> {
      const rows = await h.prisma.$queryRaw<{ name: string; reads: number }[]>`
        SELECT relname AS name, (COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0))::int AS reads FROM pg_stat_user_tables
        WHERE relname ~ '^Payment(Attempt|Refund)?_p[0-9]+$'`;
      return new Map(rows.map((r) => [r.name, r.reads]));
    }
    /**
     * The partitions read since `before`, once the statistics of every connection have been
     * flushed: they reach the shared counters within about a second of a connection going idle,
     * so this polls until `expected` (or the deadline) and returns what it saw.
     */
    async function partitionsReadSince(before: Map<string, number>, expected: (read: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
      let read: string[] = [];
      await waitFor("the partition statistics settle", async () => {
        const now = await readsByPartition();
        read = [...now].filter(([name, n]) => n !== (before.get(name) ?? 0)).map(([name]) => name).sort();
        return expected(read);
      }, { timeoutMs, intervalMs: 250 }).catch(() => undefined);
      return read;
    }

    // These two run first, on the suite's fresh database: PostgreSQL hands a connection's
    // statistics over up to ten seconds late, so reads by earlier tests could otherwise be
    // counted as theirs. Nothing but their own customer's statements has run before them.
    it("reads no payment partition for an order id that is not live: forged events and lookups find nothing", async () => {
      // A store on a connection of its own, closed at the end: a closing connection hands its
      // statistics over at once, so what it read is counted before the check.
      const prisma = createPrismaClient(h.config.relational.databaseUrl!, { poolSize: 1 });
      const store = createPrismaPaymentStore(prisma);
      const before = await readsByPartition();
      const forged = { paymentId: `pay_${randomUUID()}`, orderId: `ord_${randomUUID()}`, userId: "", amount: 100, currency: "USD" };
      const events = [h.requestEvent(forged), refundEvent(forged, 100)];
      try {
        // No customer on the event: the locator is asked, knows no such order, and nothing else is read.
        await assert.rejects(store.claimForRequest("payments", events[0]!, { paymentId: forged.paymentId, orderId: forged.orderId }, { owner: "t", ms: 1000 }), UnknownPaymentError);
        await assert.rejects(store.claimForRefund("payments", events[1]!, { orderId: forged.orderId, paymentId: forged.paymentId, amount: 100 }, { owner: "t", ms: 1000 }), UnknownPaymentError);
        assert.equal((await store.findByOrderIds([forged.orderId, `'; DROP TABLE "Payment"; --`])).size, 0);
      } finally {
        await prisma.$disconnect();
      }
      const read = await partitionsReadSince(before, (names) => names.length > 0, 2_000);
      assert.deepEqual(read, []);
      assert.equal(await h.prisma.processedEvent.count({ where: { eventId: { in: events.map((e) => e.id) } } }), 0, "neither event is recorded as applied");
    });

    it("charges and refunds a payment reading only its customer's partition of each payment table", async () => {
      const p = await h.createPayment({ amount: 2000 });
      const r = await remainderOf(p.userId);
      const mine = PAYMENT_TABLES.map((t) => `${t}_p${r}`);
      const before = await readsByPartition();
      await h.payments.processor.handle(h.requestEvent(p));
      await h.payments.processor.idle();
      await h.payments.processor.handle(refundEvent(p, 2000));
      await h.payments.processor.idle();
      assert.equal((await row(p)).status, "REFUNDED");
      // Order.payment, as the gateway asks for it: by order id, through the locator.
      assert.equal((await h.payments.store.findByOrderIds([p.orderId])).get(p.orderId)?.id, p.paymentId);
      const read = await partitionsReadSince(before, (names) => mine.every((m) => names.includes(m)));
      assert.deepEqual(read, mine.sort(), "no other partition was read");
    });

    it("puts a customer's payment, its attempts and refunds in the partition of the same number as the customer's orders", async () => {
      const p = await h.createPayment({ amount: 3000 });
      await h.requestPayment(p);
      await until("charged", async () => (await row(p)).status === "SUCCEEDED");
      await h.payments.processor.handle(refundEvent(p, 1000));
      await until("refund paid", async () => (await h.prisma.paymentRefund.findMany({ where: { paymentId: p.paymentId, status: "SUCCEEDED" } })).length === 1);
      const rows = await h.prisma.$queryRaw<{ table: string }[]>`
        SELECT DISTINCT tableoid::regclass::text AS table FROM "Payment" WHERE "userId" = ${p.userId}
        UNION SELECT DISTINCT tableoid::regclass::text FROM "PaymentAttempt" WHERE "userId" = ${p.userId}
        UNION SELECT DISTINCT tableoid::regclass::text FROM "PaymentRefund" WHERE "userId" = ${p.userId}
        UNION SELECT DISTINCT tableoid::regclass::text FROM "Order" WHERE "userId" = ${p.userId}`;
      const r = await remainderOf(p.userId);
      assert.deepEqual(rows.map((x) => x.table.replaceAll('"', "")).sort(), ["Order", ...PAYMENT_TABLES].map((t) => `${t}_p${r}`).sort());
    });



    it("refuses a refund naming another order's payment: the payment id must belong to the refunded order", async () => {
      const victim = await h.createPayment({ amount: 5000 });
      await h.payments.processor.handle(h.requestEvent(victim));
      await h.payments.processor.idle();
      const attacker = await h.createPayment({ amount: 100 });
      await assert.rejects(h.payments.processor.handle(refundEvent(attacker, 5000, { paymentId: victim.paymentId })), UnknownPaymentError);
      assert.equal(h.simulator.ledger({ paymentId: victim.paymentId }).refunds.length, 0);
      assert.equal((await h.prisma.paymentRefund.count({ where: { paymentId: victim.paymentId } })), 0);
    });

    it("charges once when two different PaymentRequested events of one order arrive at once", async () => {
      const p = await h.createPayment({ amount: 1234 });
      const events = [h.requestEvent(p), h.requestEvent(p), h.requestEvent(p)];
      await Promise.all(events.map((e) => h.payments.processor.handle(e)));
      await h.payments.processor.idle();
      await until("charged", async () => (await row(p)).status === "SUCCEEDED");
      assert.equal(h.simulator.ledger({ paymentId: p.paymentId }).charges.length, 1);
      assert.equal((await row(p)).attempts, 1);
    });

    it("pays a refund that raced the capture once the capture lands: one charge, one refund, REFUNDED", async () => {
      const p = await h.createPayment({ amount: 4000 });
      // The first charge call hangs past the provider timeout, so the refund arrives mid-capture.
      h.simulator.addRule({ match: { paymentId: p.paymentId, operation: "charge" }, action: "timeout", times: 1 });
      await h.payments.processor.handle(h.requestEvent(p));
      await until("the first charge attempt is under way", async () => (await h.attempts(p.paymentId)).length === 1);
      await h.payments.processor.handle(refundEvent(p, 4000));
      await h.payments.processor.idle();
      await until("refunded", async () => (await row(p)).status === "REFUNDED");
      const ledger = h.simulator.ledger({ paymentId: p.paymentId });
      assert.equal(ledger.charges.length, 1);
      assert.deepEqual(ledger.refunds.map((x) => x.amount), [4000]);
    });

    it("treats a refund event redelivered after its order left the live tables (archived) as the duplicate it is", async () => {
      const p = await h.createPayment({ amount: 900 });
      await h.payments.processor.handle(h.requestEvent(p));
      await h.payments.processor.idle();
      const refund = refundEvent(p, 900);
      await h.payments.processor.handle(refund);
      await h.payments.processor.idle();
      await until("refunded", async () => (await row(p)).status === "REFUNDED");
      // What the archive job leaves: no payment, no locator, no order.
      await h.prisma.payment.delete({ where: { id_userId: { id: p.paymentId, userId: p.userId } } });
      await h.prisma.orderLocator.delete({ where: { id: p.orderId } });
      await h.payments.processor.handle(structuredClone(refund));
      assert.equal(h.simulator.ledger({ paymentId: p.paymentId }).refunds.length, 1);
    });

    it("keeps one payment per order across customers: a second payment for the order, or one filed under another customer, is refused", async () => {
      const p = await h.createPayment();
      const insert = (id: string, userId: string) =>
        h.prisma.$executeRaw`INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, "updatedAt") VALUES (${id}, ${p.orderId}, ${userId}, 'PENDING', 1, 'USD', now())`;
      await assert.rejects(insert(`pay_${randomUUID()}`, p.userId), /Payment_orderId_userId_key|duplicate key/);
      // Another customer's partition has no unique key on this order id; the locator's key holds.
      await assert.rejects(insert(`pay_${randomUUID()}`, `intruder-${randomUUID()}`), /Payment_orderId_userId_fkey|foreign key/);
      // Two at once under the order's own customer: the unique key lets neither through.
      const racers = await Promise.allSettled([insert(`pay_${randomUUID()}`, p.userId), insert(`pay_${randomUUID()}`, p.userId)]);
      assert.ok(racers.every((x) => x.status === "rejected"));
      assert.equal(await h.prisma.payment.count({ where: { orderId: p.orderId } }), 1);
    });
  });
}

definePaymentPartitionSuite("embedded");
describeWithRealEngine({ suite: "payments partitioned by customer", engine: "postgresql", variable: "DATABASE_URL" }, () => definePaymentPartitionSuite("real"));
