import { Topics, type DomainEvent } from "#kernel";
import { insertOutboxRows, outboxRows, Prisma, processOnce, queryDirect, type PrismaClient } from "#kernel/relational";
import { chargeKey, type Payment } from "../domain/payment.js";
import { UnknownPaymentError, type EventClaim, type Lease, type PaymentStore } from "../ports/payment-store.js";

type Db = PrismaClient | Prisma.TransactionClient;
type PaymentRow = Awaited<ReturnType<PrismaClient["payment"]["findUniqueOrThrow"]>>;

// Prisma keeps DateTime columns as UTC in `timestamp` columns; comparing and writing them
// with the database clock (not each process's) keeps leases right across hosts.
const NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;
const millis = (ms: number) => Prisma.sql`(${ms}::integer * interval '1 millisecond')`;
const NEEDS_WORK = Prisma.sql`(status = 'PENDING' OR (status = 'SUCCEEDED' AND "refundRequestedAt" IS NOT NULL AND "refundedAt" IS NULL))`;
const LEASE_FREE = Prisma.sql`("leaseUntil" IS NULL OR "leaseUntil" < ${NOW})`;

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
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

async function read(db: Db, id: string): Promise<Payment | null> {
  const row = await db.payment.findUnique({ where: { id } });
  return row ? toPayment(row) : null;
}

/** Takes the lease when the payment needs work and nobody holds it; fixes its idempotency key. */
async function claimIn(db: Db, paymentId: string, lease: Lease): Promise<Payment | null> {
  const [claimed] = await db.$queryRaw<PaymentRow[]>`
    UPDATE "Payment" SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${NOW} + ${millis(lease.ms)},
      "providerIdempotencyKey" = COALESCE("providerIdempotencyKey", ${chargeKey(paymentId)}), "updatedAt" = ${NOW}
    WHERE id = ${paymentId} AND ${NEEDS_WORK} AND ${LEASE_FREE}
    RETURNING *`;
  return claimed ? toPayment(claimed) : null;
}

/** Payments in PostgreSQL (the Payment and PaymentAttempt models), outcome events through the outbox. */
export function createPrismaPaymentStore(prisma: PrismaClient): PaymentStore {
  async function claimForEvent(consumer: string, event: DomainEvent, paymentId: string, lease: Lease, before?: (tx: Prisma.TransactionClient) => Promise<void>): Promise<EventClaim> {
    let result: EventClaim = { kind: "duplicate" };
    await processOnce(prisma, consumer, event, async (tx) => {
      await before?.(tx);
      const claimed = await claimIn(tx, paymentId, lease);
      if (claimed) {
        result = { kind: "claimed", payment: claimed };
        return;
      }
      const payment = await read(tx, paymentId);
      // Throwing rolls the processed-event record back too, so the event is retried (then dead-lettered).
      if (!payment) throw new UnknownPaymentError(paymentId);
      result = { kind: "unclaimable", payment };
    });
    return result;
  }

  return {
    async findByOrderIds(orderIds) {
      const rows = await prisma.payment.findMany({ where: { orderId: { in: [...orderIds] } } });
      return new Map(rows.map((row) => [row.orderId, toPayment(row)]));
    },

    findById: (id) => read(prisma, id),

    async claimForRequest(consumer, event, paymentId, lease) {
      // processOnce + claim in ONE statement (one round trip instead of four): the event is
      // recorded only when the payment exists, and the claim runs only when the record is new.
      // A concurrent duplicate waits on the ProcessedEvent key and then records nothing, as
      // in the transaction form; an unknown payment records nothing, so the event is retried.
      const rows = await queryDirect<{ source: "claimed" | "current"; fresh: boolean } & PaymentRow>(prisma, Prisma.sql`
        WITH current AS (SELECT * FROM "Payment" WHERE id = ${paymentId}),
        fresh AS (
          INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt")
          SELECT ${consumer}, ${event.id}, now() WHERE EXISTS (SELECT 1 FROM current)
          ON CONFLICT DO NOTHING RETURNING 1
        ),
        claimed AS (
          UPDATE "Payment" SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${NOW} + ${millis(lease.ms)},
            "providerIdempotencyKey" = COALESCE("providerIdempotencyKey", ${chargeKey(paymentId)}), "updatedAt" = ${NOW}
          WHERE id = ${paymentId} AND ${NEEDS_WORK} AND ${LEASE_FREE} AND EXISTS (SELECT 1 FROM fresh)
          RETURNING *
        )
        SELECT 'claimed' AS source, EXISTS (SELECT 1 FROM fresh) AS fresh, claimed.* FROM claimed
        UNION ALL
        SELECT 'current' AS source, EXISTS (SELECT 1 FROM fresh) AS fresh, current.* FROM current`);
      const current = rows.find((row) => row.source === "current");
      if (!current) throw new UnknownPaymentError(paymentId);
      if (!current.fresh) return { kind: "duplicate" };
      const claimed = rows.find((row) => row.source === "claimed");
      return claimed ? { kind: "claimed", payment: toPayment(claimed) } : { kind: "unclaimable", payment: toPayment(current) };
    },

    claimForRefund: (consumer, event, paymentId, lease) =>
      claimForEvent(consumer, event, paymentId, lease, async (tx) => {
        await tx.$executeRaw`UPDATE "Payment" SET "refundRequestedAt" = COALESCE("refundRequestedAt", ${NOW}) WHERE id = ${paymentId}`;
      }),

    claim: (paymentId, lease) => claimIn(prisma, paymentId, lease),

    async findStalled(idleMs, limit) {
      const rows = await prisma.$queryRaw<{ id: string }[]>`
        SELECT id FROM "Payment" WHERE ${NEEDS_WORK} AND ${LEASE_FREE} AND "updatedAt" < ${NOW} - ${millis(idleMs)}
        ORDER BY "updatedAt" LIMIT ${limit}`;
      return rows.map((row) => row.id);
    },

    async startAttempt(paymentId, kind, lease) {
      // One statement, so one round trip: renew the lease (counting a charge attempt) and log
      // the attempt, or do neither when the lease is no longer ours.
      const bump = kind === "CHARGE" ? 1 : 0;
      const [started] = await queryDirect<{ number: number; attempts: number }>(prisma, Prisma.sql`
        WITH held AS (
          UPDATE "Payment" SET attempts = attempts + ${bump}, "leaseUntil" = ${NOW} + ${millis(lease.ms)}, "updatedAt" = ${NOW}
          WHERE id = ${paymentId} AND "leaseOwner" = ${lease.owner}
          RETURNING id, attempts
        ), numbered AS (
          SELECT id, attempts, CASE WHEN ${kind} = 'CHARGE' THEN attempts
            ELSE (SELECT count(*)::integer FROM "PaymentAttempt" WHERE "paymentId" = ${paymentId} AND kind = 'REFUND') + 1 END AS number
          FROM held
        ), logged AS (
          INSERT INTO "PaymentAttempt" ("paymentId", kind, number, "startedAt")
          SELECT id, ${kind}::"PaymentAttemptKind", number, ${NOW} FROM numbered
        )
        SELECT number, attempts FROM numbered`);
      return started ?? null;
    },

    async finishAttempt(paymentId, kind, number, outcome, detail) {
      await queryDirect(prisma, Prisma.sql`
        UPDATE "PaymentAttempt" SET outcome = ${outcome}::"PaymentAttemptOutcome", detail = ${detail.slice(0, 500)}, "finishedAt" = ${NOW}
        WHERE "paymentId" = ${paymentId} AND kind = ${kind}::"PaymentAttemptKind" AND number = ${number}`);
    },

    // Settling is one statement: the status change (only while the lease is ours) and its
    // outcome event commit together, or neither happens.
    async settleCharge(paymentId, lease, result, event) {
      const providerRef = result.status === "SUCCEEDED" ? result.providerRef : null;
      const failureReason = result.status === "FAILED" ? result.reason : null;
      const [settled] = await queryDirect<PaymentRow>(prisma, Prisma.sql`
        WITH settled AS (
          UPDATE "Payment" SET status = ${result.status}::"PaymentStatus", "providerRef" = ${providerRef}, "failureReason" = ${failureReason},
            "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = ${NOW}
          WHERE id = ${paymentId} AND "leaseOwner" = ${lease.owner} AND status = 'PENDING'
          RETURNING *
        ), announced AS (${insertOutboxRows(outboxRows([{ topic: Topics.payments, event }]), "settled")})
        SELECT * FROM settled`);
      return settled ? toPayment(settled) : null;
    },

    async settleRefund(paymentId, lease, refundRef, event) {
      const [settled] = await queryDirect<PaymentRow>(prisma, Prisma.sql`
        WITH settled AS (
          UPDATE "Payment" SET status = 'REFUNDED', "refundRef" = ${refundRef}, "refundedAt" = ${NOW},
            "leaseOwner" = NULL, "leaseUntil" = NULL, "updatedAt" = ${NOW}
          WHERE id = ${paymentId} AND "leaseOwner" = ${lease.owner} AND status = 'SUCCEEDED'
          RETURNING *
        ), announced AS (${insertOutboxRows(outboxRows([{ topic: Topics.payments, event }]), "settled")})
        SELECT * FROM settled`);
      return settled ? toPayment(settled) : null;
    },

    async releaseLease(paymentId, lease) {
      await prisma.$executeRaw`UPDATE "Payment" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE id = ${paymentId} AND "leaseOwner" = ${lease.owner}`;
    },
  };
}
