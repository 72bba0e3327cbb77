import { Prisma, type PrismaClient } from "#kernel/relational";
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

    /** Writes a decision's after-sale records; whether it wrote any. */
    async write(tx: Prisma.TransactionClient, order: { id: string; userId: string }, update: OrderUpdate): Promise<boolean> {
      const orderId = order.id;
      let wrote = false;
      if (update.newReturn) {
        const r = update.newReturn;
        await tx.$executeRaw`
          WITH created AS (
            INSERT INTO "Return" (id, "orderId", "userId", status, reason, "createdAt", "updatedAt", "idempotencyKey", "requestHash")
            VALUES (${r.id}, ${orderId}, ${r.userId}, 'REQUESTED', ${r.reason}, ${r.createdAt}::timestamp(3), ${r.createdAt}::timestamp(3), ${r.idempotencyKey}, ${r.requestHash})
            RETURNING id
          )
          INSERT INTO "ReturnItem" ("returnId", "variantId", quantity, "unitAmount")
          SELECT (SELECT id FROM created), item."variantId", item.quantity, item."unitAmount"
          FROM jsonb_to_recordset(${JSON.stringify(r.items.map((i) => ({ variantId: i.variantId, quantity: i.quantity, unitAmount: i.unitPrice.amount })))}::jsonb)
            AS item("variantId" text, quantity int, "unitAmount" int)`;
        wrote = true;
      }
      if (update.returnDecision) {
        const { returnId, status, reason, at } = update.returnDecision;
        await tx.$executeRaw`
          UPDATE "Return" SET status = ${status}::"ReturnStatus", "decisionReason" = ${reason}, "decidedAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
          WHERE id = ${returnId} AND "orderId" = ${orderId} AND status = 'REQUESTED'`;
        wrote = true;
      }
      for (const refund of update.refunds ?? []) {
        await tx.$executeRaw`
          WITH promised AS (
            UPDATE "Order" SET "refundedAmount" = "refundedAmount" + ${refund.amount.amount}::int, "updatedAt" = ${refund.createdAt}::timestamp(3)
            WHERE id = ${orderId} AND "userId" = ${order.userId} RETURNING id
          )
          INSERT INTO "Refund" (id, "orderId", amount, currency, reason, status, "idempotencyKey", "requestHash", "returnId", "createdAt", "updatedAt")
          SELECT ${refund.id}, id, ${refund.amount.amount}::int, ${refund.amount.currency}, ${refund.reason}, 'PENDING',
            ${refund.idempotencyKey}, ${refund.requestHash}, ${refund.returnId}, ${refund.createdAt}::timestamp(3), ${refund.createdAt}::timestamp(3)
          FROM promised`;
        wrote = true;
      }
      if (update.refundSettled) {
        const { refundId, providerRef, at } = update.refundSettled;
        await tx.$executeRaw`
          UPDATE "Refund" SET status = 'SUCCEEDED', "providerRef" = ${providerRef}, "refundedAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
          WHERE id = ${refundId} AND "orderId" = ${orderId} AND status = 'PENDING'`;
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
