import { Topics, type DomainEvent } from "#kernel";
import { insertOutboxRows, outboxRows, Prisma, processOnce, queryDirect, queryPrepared, type PrismaClient } from "#kernel/relational";
import { chargeKey, isPaymentMethodToken, partialRefundKey, refundKey, type Payment, type PaymentRefund } from "../domain/payment.js";
import { DEFAULT_PAYMENT_PATIENCE } from "../domain/payment.service.js";
import {
  RefundBeyondPaymentError,
  UnknownPaymentError,
  type AttemptKind,
  type EventClaim,
  type FinishedCall,
  type LateCaptureSchedule,
  type Lease,
  type PaymentKey,
  type PaymentStore,
  type RefundOrder,
} from "../ports/payment-store.js";
import { customerOfOrder, customersOfOrders, orderWasCancelled } from "./order-customer.sql.js";

type Db = PrismaClient | Prisma.TransactionClient;
type PaymentRow = Awaited<ReturnType<PrismaClient["payment"]["findUniqueOrThrow"]>>;
type RefundRow = Awaited<ReturnType<PrismaClient["paymentRefund"]["findUniqueOrThrow"]>>;

// Prisma keeps DateTime columns as UTC in `timestamp` columns; comparing and writing them
// with the database clock (not each process's) keeps leases right across hosts.
const NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;
const millis = (ms: number) => Prisma.sql`(${ms}::integer * interval '1 millisecond')`;
const NEEDS_WORK = Prisma.sql`(status = 'PENDING' OR (status = 'SUCCEEDED' AND "refundRequestedAt" IS NOT NULL AND "refundedAt" IS NULL))`;
const LEASE_FREE = Prisma.sql`("leaseUntil" IS NULL OR "leaseUntil" < ${NOW})`;

/** Ends a provider call's attempt log entry: its outcome, the provider's word, when. */
const finishedAttempt = (payment: PaymentKey, kind: AttemptKind, { number, outcome, detail }: FinishedCall) => Prisma.sql`
  UPDATE "PaymentAttempt" SET outcome = ${outcome}::"PaymentAttemptOutcome", detail = ${detail.slice(0, 500)}, "finishedAt" = ${NOW}
  WHERE "paymentId" = ${payment.id} AND "userId" = ${payment.userId} AND kind = ${kind}::"PaymentAttemptKind" AND number = ${number}`;

/**
 * A FAILED payment whose charge may have been captured after all, due for a check (see
 * LateCaptureSchedule): a charge call was made and none was declined (the provider answers a
 * key it declined with the decline, so that key never captures), nothing was refunded yet.
 * "updatedAt" is when it failed: nothing else writes a FAILED payment but a refund attempt of
 * this very sweep, which keeps a refund it owes due.
 */
const lateCaptureDue = ({ firstAfterMs, lookbackMs }: LateCaptureSchedule) => Prisma.sql`(
  status = 'FAILED' AND "refundedAt" IS NULL AND attempts > 0 AND "updatedAt" > ${NOW} - ${millis(lookbackMs)}
  AND COALESCE("lateCaptureCheckedAt" + greatest(${millis(firstAfterMs)}, "lateCaptureCheckedAt" - "updatedAt"), "updatedAt" + ${millis(firstAfterMs)}) <= ${NOW}
  AND NOT EXISTS (
    SELECT 1 FROM "PaymentAttempt" declined
    WHERE declined."paymentId" = "Payment".id AND declined."userId" = "Payment"."userId" AND declined.kind = 'CHARGE' AND declined.outcome = 'DECLINED'
  ))`;

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    status: row.status,
    amount: { amount: row.amount, currency: row.currency },
    attempts: row.attempts,
    providerRef: row.providerRef,
    failureReason: row.failureReason,
    idempotencyKey: row.providerIdempotencyKey,
    refundRequestedAt: row.refundRequestedAt,
    refundRef: row.refundRef,
    refundedAt: row.refundedAt,
    paymentMethod: row.paymentMethod,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRefund(row: RefundRow): PaymentRefund {
  return {
    id: row.id,
    paymentId: row.paymentId,
    userId: row.userId,
    amount: { amount: row.amount, currency: row.currency },
    status: row.status,
    idempotencyKey: row.providerIdempotencyKey,
    providerRef: row.providerRef,
    createdAt: row.createdAt,
    refundedAt: row.refundedAt,
  };
}

/**
 * Records one refund of a payment under the payment's row lock (taken first, as every refund
 * writer does, so the sum below sees every refund committed before): at most once per refund
 * id, and never beyond the payment's amount. A request beyond it is refused here (logged by the
 * caller) even though the orders subgraph already bounds it: the provider is the last place
 * where money could go out twice.
 */
async function recordRefund(tx: Prisma.TransactionClient, refund: RefundOrder, userId: string): Promise<{ payment: PaymentRow; recorded: "new" | "known" | "over" | "nothing" } | null> {
  // The order's customer and the order id both bound a payment named by id: a payment id of
  // another order (a forged or mixed-up event) finds nothing.
  const [payment] = refund.paymentId
    ? await tx.$queryRaw<PaymentRow[]>`SELECT * FROM "Payment" WHERE id = ${refund.paymentId} AND "userId" = ${userId} AND "orderId" = ${refund.orderId} FOR UPDATE`
    : await tx.$queryRaw<PaymentRow[]>`SELECT * FROM "Payment" WHERE "orderId" = ${refund.orderId} AND "userId" = ${userId} FOR UPDATE`;
  if (!payment) return null;
  const id = refund.refundId ?? `payment-${payment.id}`;
  const [known] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "PaymentRefund" WHERE id = ${id} AND "userId" = ${userId}`;
  if (known) return { payment, recorded: "known" };
  const [{ promised }] = (await tx.$queryRaw<{ promised: number }[]>`
    SELECT COALESCE(sum(amount), 0)::int AS promised FROM "PaymentRefund" WHERE "paymentId" = ${payment.id} AND "userId" = ${userId}`) as [{ promised: number }];
  const amount = refund.amount ?? payment.amount - promised;
  if (amount <= 0) return { payment, recorded: "nothing" };
  if (promised + amount > payment.amount) return { payment, recorded: "over" };
  // Events from before partial refunds keep the key they were always paid under.
  const key = refund.refundId ? partialRefundKey(refund.refundId) : refundKey(payment.id);
  await tx.$executeRaw`
    INSERT INTO "PaymentRefund" (id, "paymentId", "userId", amount, currency, status, "providerIdempotencyKey", "createdAt")
    VALUES (${id}, ${payment.id}, ${userId}, ${amount}, ${payment.currency}, 'PENDING', ${key}, ${NOW})`;
  await tx.$executeRaw`UPDATE "Payment" SET "refundRequestedAt" = COALESCE("refundRequestedAt", ${NOW}), "updatedAt" = ${NOW} WHERE id = ${payment.id} AND "userId" = ${userId}`;
  return { payment, recorded: "new" };
}

async function read(db: Db, key: PaymentKey): Promise<Payment | null> {
  const row = await db.payment.findUnique({ where: { id_userId: { id: key.id, userId: key.userId } } });
  return row ? toPayment(row) : null;
}

/** Takes the lease when the payment needs work and nobody holds it; fixes its idempotency key. */
async function claimIn(db: Db, key: PaymentKey, lease: Lease): Promise<Payment | null> {
  const [claimed] = await db.$queryRaw<PaymentRow[]>`
    UPDATE "Payment" SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${NOW} + ${millis(lease.ms)},
      "providerIdempotencyKey" = COALESCE("providerIdempotencyKey", ${chargeKey(key.id)}), "updatedAt" = ${NOW}
    WHERE id = ${key.id} AND "userId" = ${key.userId} AND ${NEEDS_WORK} AND ${LEASE_FREE}
    RETURNING *`;
  return claimed ? toPayment(claimed) : null;
}

/**
 * Payments in PostgreSQL (the Payment, PaymentAttempt and PaymentRefund models, hash-partitioned
 * by customer), outcome events through the outbox. Every statement names the payment's customer
 * so it reads one partition; where only an order id is known, the order's locator row names it.
 */
export function createPrismaPaymentStore(prisma: PrismaClient, options: { firstCallWithinMs?: number } = {}): PaymentStore {
  // A claim starts the first charge call only of a payment this young (see PaymentPatience).
  const firstCallWithinMs = options.firstCallWithinMs ?? DEFAULT_PAYMENT_PATIENCE.retryForMs;
  return {
    async findByOrderIds(orderIds) {
      const owners = await customersOfOrders(prisma, orderIds);
      if (owners.length === 0) return new Map();
      // The customers as bound values: the statement is planned for their partitions only.
      const rows = await prisma.payment.findMany({ where: { orderId: { in: [...orderIds] }, userId: { in: owners } } });
      return new Map(rows.map((row) => [row.orderId, toPayment(row)]));
    },

    findById: (key) => read(prisma, key),

    async claimForRequest(consumer, event, requested, lease) {
      const { paymentId, orderId } = requested;
      // Checkout's events name the customer; one without it is placed through its order's locator.
      const userId = requested.userId ?? (await customerOfOrder(prisma, orderId));
      if (userId === null) throw new UnknownPaymentError(paymentId);
      // The payment-method token is kept on the row only while the charge may still need it
      // (a retry after a crash); settling clears it. Anything not shaped like a token is dropped.
      // Checkout writes it on the payment it creates; the event's copy only fills in a payment
      // placed before that, and never once a charge was sent: one idempotency key is always
      // sent with the same request.
      const method = (event.payload as { paymentMethod?: unknown } | null)?.paymentMethod;
      const paymentMethod = isPaymentMethodToken(method) ? method : null;
      // processOnce + claim in ONE statement (one round trip instead of four): the event is
      // recorded only when the payment exists, and the claim runs only when the record is new.
      // A concurrent duplicate waits on the ProcessedEvent key and then records nothing, as
      // in the transaction form; an unknown payment records nothing, so the event is retried.
      // A payment never called with something to charge also has its first charge call started
      // here (`starting`, judged on the statement's snapshot, with the order's cancel check as
      // startAttempt makes it): one commit a payment fewer. One checked out too long ago is
      // claimed without a call: its drive fails it (PaymentPatience). The claim then also
      // requires the row it locks to be uncalled still, so a claim that counts a call counts
      // exactly that one.
      // Prepared, one generic plan (see queryPrepared): each partition reached by its key, pruned
      // at execution, as the plan for its values would; planning was 60% of its backend CPU.
      const rows = await queryPrepared<{ source: "claimed" | "current"; fresh: boolean; starting: boolean; cancelled: boolean } & PaymentRow>(prisma, Prisma.sql`
        WITH current AS (SELECT * FROM "Payment" WHERE id = ${paymentId} AND "userId" = ${userId}),
        fresh AS (
          INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt")
          SELECT ${consumer}, ${event.id}, now() WHERE EXISTS (SELECT 1 FROM current)
          ON CONFLICT DO NOTHING RETURNING 1
        ),
        uncalled AS (
          SELECT status = 'PENDING' AND attempts = 0 AND amount > 0 AND "createdAt" > ${NOW} - ${millis(firstCallWithinMs)} AS yes,
            EXISTS (SELECT 1 FROM "Order" WHERE id = current."orderId" AND "userId" = ${userId} AND status = 'CANCELLED') AS cancelled
          FROM current
        ),
        starting AS (SELECT COALESCE((SELECT yes AND NOT cancelled FROM uncalled), false) AS yes),
        claimed AS (
          UPDATE "Payment" SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${NOW} + ${millis(lease.ms)},
            "providerIdempotencyKey" = COALESCE("providerIdempotencyKey", ${chargeKey(paymentId)}), "updatedAt" = ${NOW},
            "paymentMethod" = CASE WHEN status = 'PENDING' AND attempts = 0 THEN COALESCE("paymentMethod", ${paymentMethod}) ELSE "paymentMethod" END,
            attempts = attempts + CASE WHEN (SELECT yes FROM starting) THEN 1 ELSE 0 END
          WHERE id = ${paymentId} AND "userId" = ${userId} AND ${NEEDS_WORK} AND ${LEASE_FREE} AND EXISTS (SELECT 1 FROM fresh)
            AND (NOT (SELECT yes FROM starting) OR attempts = 0)
          RETURNING *
        ),
        logged AS (
          INSERT INTO "PaymentAttempt" ("paymentId", "userId", kind, number, "startedAt")
          SELECT id, "userId", 'CHARGE', attempts, ${NOW} FROM claimed WHERE (SELECT yes FROM starting)
        )
        SELECT 'claimed' AS source, EXISTS (SELECT 1 FROM fresh) AS fresh, (SELECT yes FROM starting) AS starting,
          COALESCE((SELECT yes AND cancelled FROM uncalled), false) AS cancelled, claimed.* FROM claimed
        UNION ALL
        SELECT 'current' AS source, EXISTS (SELECT 1 FROM fresh) AS fresh, false, false, current.* FROM current`);
      const current = rows.find((row) => row.source === "current");
      if (!current) throw new UnknownPaymentError(paymentId);
      if (!current.fresh) return { kind: "duplicate" };
      const claimed = rows.find((row) => row.source === "claimed");
      if (!claimed) return { kind: "unclaimable", payment: toPayment(current) };
      if (claimed.cancelled) return { kind: "claimed", payment: toPayment(claimed), firstCharge: "cancelled" };
      if (!claimed.starting) return { kind: "claimed", payment: toPayment(claimed) };
      // The payment as claimed, before the call this claim started (as its drive would see it).
      return { kind: "claimed", payment: { ...toPayment(claimed), attempts: claimed.attempts - 1 }, firstCharge: { number: claimed.attempts, attempts: claimed.attempts } };
    },

    async claimForRefund(consumer, event, refund, lease) {
      // A refund names its order (and maybe its payment), never its customer: the order's locator
      // does, before the transaction. An order that is not live reads no payment partition.
      const userId = await customerOfOrder(prisma, refund.orderId);
      let result: EventClaim = { kind: "duplicate" };
      // Inside processOnce, so a redelivery of an event already applied is still a duplicate
      // once its order has left the live tables (archived): no locator, nothing to redo.
      await processOnce(prisma, consumer, event, async (tx) => {
        if (userId === null) throw new UnknownPaymentError(refund.paymentId ?? `of order ${refund.orderId}`);
        const recorded = await recordRefund(tx, refund, userId);
        if (!recorded) throw new UnknownPaymentError(refund.paymentId ?? `of order ${refund.orderId}`);
        // The orders subgraph bounds refunds by the same amount, so this is a bug to look at, not
        // money to send: the event fails, is retried, and ends on the dead-letter topic.
        if (recorded.recorded === "over") throw new RefundBeyondPaymentError(recorded.payment.id, refund.refundId ?? null);
        const key = { id: recorded.payment.id, userId };
        const claimed = await claimIn(tx, key, lease);
        // The payment row is locked by this transaction, so it is still there.
        result = claimed ? { kind: "claimed", payment: claimed } : { kind: "unclaimable", payment: (await read(tx, key))! };
      });
      return result;
    },

    async pendingRefunds(payment) {
      const rows = await prisma.paymentRefund.findMany({ where: { paymentId: payment.id, userId: payment.userId, status: "PENDING" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
      return rows.map(toRefund);
    },

    claim: (key, lease) => claimIn(prisma, key, lease),

    async findStalled(idleMs, limit) {
      return prisma.$queryRaw<PaymentKey[]>`
        SELECT id, "userId" FROM "Payment" WHERE ${NEEDS_WORK} AND ${LEASE_FREE} AND "updatedAt" < ${NOW} - ${millis(idleMs)}
        ORDER BY "updatedAt" LIMIT ${limit}`;
    },

    // One statement, so one round trip and one snapshot: the order's status (for a charge),
    // the lease renewed (counting a charge attempt) and the attempt logged, or nothing written
    // when the lease is no longer ours or a cancel committed before this statement.
    async startAttempt(payment, kind, lease) {
      const bump = kind === "CHARGE" ? 1 : 0;
      const orderCancelled =
        kind === "CHARGE"
          ? Prisma.sql`EXISTS (SELECT 1 FROM "Order" WHERE id = ${payment.orderId} AND "userId" = ${payment.userId} AND status = 'CANCELLED')`
          : Prisma.sql`false`;
      const [row] = await queryDirect<{ cancelled: boolean; number: number | null; attempts: number | null }>(prisma, Prisma.sql`
        WITH cancelled AS (
          SELECT ${orderCancelled} AS yes
        ), held AS (
          UPDATE "Payment" SET attempts = attempts + ${bump}, "leaseUntil" = ${NOW} + ${millis(lease.ms)}, "updatedAt" = ${NOW}
          WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND "leaseOwner" = ${lease.owner} AND NOT (SELECT yes FROM cancelled)
          RETURNING id, attempts
        ), numbered AS (
          SELECT id, attempts, CASE WHEN ${kind} = 'CHARGE' THEN attempts
            ELSE (SELECT count(*)::integer FROM "PaymentAttempt" WHERE "paymentId" = ${payment.id} AND "userId" = ${payment.userId} AND kind = 'REFUND') + 1 END AS number
          FROM held
        ), logged AS (
          INSERT INTO "PaymentAttempt" ("paymentId", "userId", kind, number, "startedAt")
          SELECT id, ${payment.userId}, ${kind}::"PaymentAttemptKind", number, ${NOW} FROM numbered
        )
        SELECT (SELECT yes FROM cancelled) AS cancelled, numbered.number, numbered.attempts FROM (SELECT 1) AS one LEFT JOIN numbered ON true`);
      if (row!.cancelled) return "cancelled";
      return row!.number === null ? null : { number: row!.number, attempts: row!.attempts! };
    },

    async finishAttempt(payment, kind, number, outcome, detail) {
      await queryDirect(prisma, finishedAttempt(payment, kind, { number, outcome, detail }));
    },

    // From the attempt log, which every release writes (a column only this one set would be
    // empty for calls made before it, or by an older process during a rolling deploy). A call
    // still unanswered counts from when it was sent.
    async lastChargeCallAt(payment) {
      const [row] = await queryDirect<{ at: Date | null }>(prisma, Prisma.sql`
        SELECT max(COALESCE("finishedAt", "startedAt")) AS at FROM "PaymentAttempt"
        WHERE "paymentId" = ${payment.id} AND "userId" = ${payment.userId} AND kind = 'CHARGE'`);
      return row?.at ? new Date(row.at) : null;
    },

    // Settling is one statement: the status change (only while the lease is ours) and its
    // outcome event commit together, or neither happens. The call that settles it is logged
    // in it too (whoever holds the lease, as finishAttempt): one round trip a charge fewer.
    // Prepared, one generic plan per shape (with the call logged, or not): the same indexes as
    // the plan for its values, each partition pruned at execution (see queryPrepared).
    async settleCharge(payment, lease, result, event, call) {
      const providerRef = result.status === "SUCCEEDED" ? result.providerRef : null;
      const failureReason = result.status === "FAILED" ? result.reason : null;
      const logged = call ? Prisma.sql`logged AS (${finishedAttempt(payment, "CHARGE", call)}),` : Prisma.empty;
      const [settled] = await queryPrepared<PaymentRow>(prisma, Prisma.sql`
        WITH ${logged} settled AS (
          UPDATE "Payment" SET status = ${result.status}::"PaymentStatus", "providerRef" = ${providerRef}, "failureReason" = ${failureReason},
            "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = ${NOW}, "paymentMethod" = NULL
          WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND "leaseOwner" = ${lease.owner} AND status = 'PENDING'
          RETURNING *
        ), announced AS (${insertOutboxRows(outboxRows([{ topic: Topics.payments, event }]), "settled")})
        SELECT * FROM settled`);
      return settled ? toPayment(settled) : null;
    },

    async settleRefund(refund, lease, refundRef, event) {
      const settled = await queryDirect<{ id: string }>(prisma, Prisma.sql`
        WITH held AS (
          UPDATE "Payment" SET "leaseUntil" = ${NOW} + ${millis(lease.ms)}, "updatedAt" = ${NOW}
          WHERE id = ${refund.paymentId} AND "userId" = ${refund.userId} AND "leaseOwner" = ${lease.owner} RETURNING id
        ), settled AS (
          UPDATE "PaymentRefund" SET status = 'SUCCEEDED', "providerRef" = ${refundRef}, "refundedAt" = ${NOW}
          WHERE id = ${refund.id} AND "userId" = ${refund.userId} AND status = 'PENDING' AND EXISTS (SELECT 1 FROM held)
          RETURNING id
        ), announced AS (${insertOutboxRows(outboxRows([{ topic: Topics.payments, event }]), "settled")})
        SELECT id FROM settled`);
      return settled.length > 0;
    },

    async finishRefunds(payment, lease) {
      const { id: paymentId, userId } = payment;
      return prisma.$transaction(async (tx) => {
        // The row lock first: a refund recorded concurrently (which takes it too) either
        // committed before, and the statement below sees it pending, or waits and then claims
        // the payment this frees.
        const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Payment" WHERE id = ${paymentId} AND "userId" = ${userId} AND "leaseOwner" = ${lease.owner} FOR UPDATE`;
        if (!locked) return null;
        const [row] = await tx.$queryRaw<PaymentRow[]>`
          WITH paid AS (
            SELECT COALESCE(sum(amount), 0)::int AS amount,
              (SELECT "providerRef" FROM "PaymentRefund" WHERE "paymentId" = ${paymentId} AND "userId" = ${userId} AND status = 'SUCCEEDED' ORDER BY "refundedAt" DESC LIMIT 1) AS ref
            FROM "PaymentRefund" WHERE "paymentId" = ${paymentId} AND "userId" = ${userId} AND status = 'SUCCEEDED'
          ), pending AS (SELECT EXISTS (SELECT 1 FROM "PaymentRefund" WHERE "paymentId" = ${paymentId} AND "userId" = ${userId} AND status = 'PENDING') AS waiting)
          UPDATE "Payment" SET
            status = CASE WHEN status = 'SUCCEEDED' AND (SELECT amount FROM paid) >= amount THEN 'REFUNDED'::"PaymentStatus" ELSE status END,
            "refundedAt" = CASE WHEN status = 'SUCCEEDED' AND (SELECT amount FROM paid) >= amount THEN ${NOW} ELSE "refundedAt" END,
            "refundRef" = COALESCE((SELECT ref FROM paid), "refundRef"),
            "refundRequestedAt" = CASE WHEN (SELECT waiting FROM pending) THEN "refundRequestedAt" ELSE NULL END,
            "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = ${NOW}
          WHERE id = ${paymentId} AND "userId" = ${userId}
          RETURNING *`;
        return row ? toPayment(row) : null;
      });
    },

    orderCancelled: (payment) => orderWasCancelled(prisma, payment),

    async releaseLease(payment, lease) {
      await prisma.$executeRaw`UPDATE "Payment" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND "leaseOwner" = ${lease.owner}`;
    },

    // Served by ("status", "updatedAt"): the FAILED payments of the lookback only.
    findLateCaptureChecks: (schedule, limit) =>
      queryDirect<PaymentKey>(prisma, Prisma.sql`
        SELECT id, "userId" FROM "Payment" WHERE ${lateCaptureDue(schedule)} AND ${LEASE_FREE}
        ORDER BY "updatedAt" LIMIT ${limit}`),

    // The lease only: "updatedAt" stays when the payment failed, which the schedule counts from.
    async claimLateCaptureCheck(payment, schedule, lease) {
      const [claimed] = await queryDirect<PaymentRow>(prisma, Prisma.sql`
        UPDATE "Payment" SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${NOW} + ${millis(lease.ms)}
        WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND ${lateCaptureDue(schedule)} AND ${LEASE_FREE}
        RETURNING *`);
      return claimed ? toPayment(claimed) : null;
    },

    async finishLateCaptureCheck(payment, lease) {
      await queryDirect(prisma, Prisma.sql`
        UPDATE "Payment" SET "lateCaptureCheckedAt" = ${NOW}, "leaseOwner" = NULL, "leaseUntil" = NULL
        WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND "leaseOwner" = ${lease.owner}`);
    },

    // One statement: the payment's record and the refund's row, or neither.
    async recordLateCaptureRefund(payment, lease, refund) {
      const [recorded] = await queryDirect<{ id: string }>(prisma, Prisma.sql`
        WITH recorded AS (
          UPDATE "Payment" SET "providerRef" = ${refund.chargeRef}, "refundRef" = ${refund.refundRef}, "refundedAt" = ${NOW},
            "lateCaptureCheckedAt" = ${NOW}, "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = ${NOW}
          WHERE id = ${payment.id} AND "userId" = ${payment.userId} AND "leaseOwner" = ${lease.owner} AND status = 'FAILED'
          RETURNING id
        ), refunded AS (
          INSERT INTO "PaymentRefund" (id, "paymentId", "userId", amount, currency, status, "providerIdempotencyKey", "providerRef", "createdAt", "refundedAt")
          SELECT ${refund.idempotencyKey}, ${payment.id}, ${payment.userId}, ${payment.amount.amount}, ${payment.amount.currency}, 'SUCCEEDED',
            ${refund.idempotencyKey}, ${refund.refundRef}, ${NOW}, ${NOW}
          FROM recorded
          ON CONFLICT DO NOTHING
        )
        SELECT id FROM recorded`);
      return recorded !== undefined;
    },
  };
}
