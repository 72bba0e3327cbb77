import { Prisma, type PrismaClient, type TransactionStatement } from "#kernel/relational";
import type { Refund, Return, ReturnItem } from "../domain/after-sale.js";
import type { OrderUpdate } from "../ports/order-store.js";

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Refunds and returns of orders in PostgreSQL: reads, and the writes of one locked decision.
 * Refund rows and the order's refundedAmount change in the same statement, so the CHECK on
 * refundedAmount (at most the order total) judges every refund against all the others.
 */
export function createAfterSaleRecords() {
  async function refundsOf(db: Db, orderIds: readonly string[]): Promise<Map<string, Refund[]>> {
    const rows = await db.refund.findMany({
      where: { orderId: { in: [...orderIds] } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const byOrder = new Map<string, Refund[]>();
    for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), toRefund(row)]);
    return byOrder;
  }

  async function returnsOf(db: Db, orderIds: readonly string[]): Promise<Map<string, Return[]>> {
    const rows = await db.return.findMany({
      where: { orderId: { in: [...orderIds] } },
      include: { items: { orderBy: { variantId: "asc" } }, order: { select: { currency: true } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const byOrder = new Map<string, Return[]>();
    for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), toReturn(row)]);
    return byOrder;
  }

  return {
    refundsOf,
    returnsOf,

    async findReturn(db: Db, id: string): Promise<Return | null> {
      const row = await db.return.findUnique({ where: { id }, include: { items: { orderBy: { variantId: "asc" } }, order: { select: { currency: true } } } });
      return row ? toReturn(row) : null;
    },

    async findRefund(db: Db, id: string): Promise<Refund | null> {
      const row = await db.refund.findUnique({ where: { id } });
      return row ? toRefund(row) : null;
    },

    /** The refunds of an order this transaction holds locked, oldest first. */
    async refundsOfLocked(statement: TransactionStatement, orderId: string): Promise<Refund[]> {
      const rows = await statement<RefundRow>(Prisma.sql`
        SELECT id, "orderId", amount, currency, reason, status::text AS status, "idempotencyKey", "requestHash", "returnId", "providerRef", "createdAt", "updatedAt", "refundedAt"
        FROM "Refund" WHERE "orderId" = ${orderId} ORDER BY "createdAt", id`);
      return rows.map(toRefund);
    },

    /** The returns of an order this transaction holds locked, oldest first: its customer and currency are the locked row's. */
    async returnsOfLocked(statement: TransactionStatement, order: { id: string; userId: string; currency: string }): Promise<Return[]> {
      const rows = await statement<Omit<ReturnRow, "order">>(Prisma.sql`
        SELECT r.id, r."orderId", r."userId", r.status::text AS status, r.reason, r."decisionReason", r."createdAt", r."updatedAt", r."decidedAt", r."idempotencyKey", r."requestHash",
          COALESCE((SELECT jsonb_agg(jsonb_build_object('returnId', i."returnId", 'variantId', i."variantId", 'quantity', i.quantity, 'unitAmount', i."unitAmount") ORDER BY i."variantId")
            FROM "ReturnItem" i WHERE i."returnId" = r.id), '[]'::jsonb) AS items
        FROM "Return" r WHERE r."orderId" = ${order.id} AND r."userId" = ${order.userId} ORDER BY r."createdAt", r.id`);
      return rows.map((row) => toReturn({ ...row, order: { currency: order.currency } }));
    },

    /** Writes a decision's after-sale records, in the transaction that holds the order locked; whether it wrote any. */
    async write(statement: TransactionStatement, order: { id: string; userId: string }, update: OrderUpdate): Promise<boolean> {
      const orderId = order.id;
      let wrote = false;
      if (update.newReturn) {
        const r = update.newReturn;
        await statement(Prisma.sql`
          WITH created AS (
            INSERT INTO "Return" (id, "orderId", "userId", status, reason, "createdAt", "updatedAt", "idempotencyKey", "requestHash")
            VALUES (${r.id}, ${orderId}, ${r.userId}, 'REQUESTED', ${r.reason}, ${r.createdAt}::timestamp(3), ${r.createdAt}::timestamp(3), ${r.idempotencyKey}, ${r.requestHash})
            RETURNING id
          )
          INSERT INTO "ReturnItem" ("returnId", "variantId", quantity, "unitAmount")
          SELECT (SELECT id FROM created), item."variantId", item.quantity, item."unitAmount"
          FROM jsonb_to_recordset(${JSON.stringify(r.items.map((i) => ({ variantId: i.variantId, quantity: i.quantity, unitAmount: i.unitPrice.amount })))}::jsonb)
            AS item("variantId" text, quantity int, "unitAmount" int)`);
        wrote = true;
      }
      if (update.returnDecision) {
        const { returnId, status, reason, at } = update.returnDecision;
        await statement(Prisma.sql`
          UPDATE "Return" SET status = ${status}::"ReturnStatus", "decisionReason" = ${reason}, "decidedAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
          WHERE id = ${returnId} AND "orderId" = ${orderId} AND status = 'REQUESTED'`);
        wrote = true;
      }
      for (const refund of update.refunds ?? []) {
        await statement(Prisma.sql`
          WITH promised AS (
            UPDATE "Order" SET "refundedAmount" = "refundedAmount" + ${refund.amount.amount}::int, "updatedAt" = ${refund.createdAt}::timestamp(3)
            WHERE id = ${orderId} AND "userId" = ${order.userId} RETURNING id
          )
          INSERT INTO "Refund" (id, "orderId", amount, currency, reason, status, "idempotencyKey", "requestHash", "returnId", "createdAt", "updatedAt")
          SELECT ${refund.id}, id, ${refund.amount.amount}::int, ${refund.amount.currency}, ${refund.reason}, 'PENDING',
            ${refund.idempotencyKey}, ${refund.requestHash}, ${refund.returnId}, ${refund.createdAt}::timestamp(3), ${refund.createdAt}::timestamp(3)
          FROM promised`);
        wrote = true;
      }
      if (update.refundSettled) {
        const { refundId, providerRef, at } = update.refundSettled;
        await statement(Prisma.sql`
          UPDATE "Refund" SET status = 'SUCCEEDED', "providerRef" = ${providerRef}, "refundedAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
          WHERE id = ${refundId} AND "orderId" = ${orderId} AND status = 'PENDING'`);
        wrote = true;
      }
      return wrote;
    },
  };
}

type RefundRow = Prisma.RefundGetPayload<object>;
type ReturnRow = Prisma.ReturnGetPayload<{ include: { items: true; order: { select: { currency: true } } } }>;

function toRefund(row: RefundRow): Refund {
  return {
    id: row.id,
    orderId: row.orderId,
    amount: { amount: row.amount, currency: row.currency },
    reason: row.reason,
    status: row.status,
    idempotencyKey: row.idempotencyKey,
    requestHash: row.requestHash,
    returnId: row.returnId,
    providerRef: row.providerRef,
    createdAt: row.createdAt,
    refundedAt: row.refundedAt,
  };
}

function toReturn(row: ReturnRow): Return {
  const items: ReturnItem[] = row.items.map((item) => ({ variantId: item.variantId, quantity: item.quantity, unitPrice: { amount: item.unitAmount, currency: row.order.currency } }));
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    status: row.status,
    reason: row.reason,
    decisionReason: row.decisionReason,
    items,
    createdAt: row.createdAt,
    decidedAt: row.decidedAt,
    idempotencyKey: row.idempotencyKey,
    requestHash: row.requestHash,
  };
}
