import { randomUUID } from "node:crypto";
import { inDirectTransaction, insertOutboxRows, outboxRows, Prisma, queryDirect, untilSettledOnServer, type PrismaClient, type TransactionStatement } from "#kernel/relational";
import type { Order, OrderAddress, OrderItem, OrderShippingMethod, OrderStatus, OrderStatusChange } from "../domain/order.js";
import { CartChanged, CouponNotRedeemable, IdempotencyKeyTaken, type LockedOrderReads, type OrderStore } from "../ports/order-store.js";
import { customerOf, customerOfOrder, customersOf } from "./order-locator.sql.js";
import { createAfterSaleRecords } from "./prisma-after-sale.records.js";
import { orderArchived } from "../domain/order-archive.js";

type OrderRow = Prisma.OrderGetPayload<object>;

/** What orders_place answers: placed, or the archive's, the cart's "changed" or the coupon's refusal (then nothing was written). */
type PlaceResult = { outcome: "placed" } | { outcome: "archived" } | { outcome: "changed"; linesLeft: number; lastOrderId: string | null; pricedLinesLeft?: number } | { outcome: "coupon"; reason: string };

/** Orders in PostgreSQL; `onCommit` runs after every commit that wrote outbox events. */
export function createPrismaOrderStore(deps: { prisma: PrismaClient; onCommit?: () => void }): OrderStore {
  const { prisma } = deps;
  const committed = () => deps.onCommit?.();
  const afterSale = createAfterSaleRecords();

  return {
    async findById(id) {
      const userId = await customerOfOrder(prisma, id);
      if (userId === null) return null;
      const [row] = await queryDirect<OrderRow>(prisma, Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "Order" WHERE id = ${id} AND "userId" = ${userId}`);
      return row ? toOrder(row) : null;
    },

    // On every checkout: one statement on the pool rather than Prisma's query pipeline.
    async findByIdempotencyKey(userId, idempotencyKey) {
      const [row] = await queryDirect<OrderRow>(prisma, orderOfKeyStatement(userId, idempotencyKey));
      return row ? toOrder(row) : null;
    },

    async listByUser(userId, first, after) {
      const rows = await prisma.order.findMany({
        where: {
          userId,
          ...(after && { OR: [{ createdAt: { lt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { lt: after.id } }] }),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: first + 1,
      });
      return { items: rows.slice(0, first).map(toOrder), hasNextPage: rows.length > first };
    },

    countByUser: (userId) => prisma.order.count({ where: { userId } }),

    // One index range ("status", "createdAt") per partition, merged by age.
    findStalePending: (placedBefore, limit, after) =>
      queryDirect<{ id: string; userId: string; createdAt: Date }>(
        prisma,
        Prisma.sql`SELECT id, "userId", "createdAt" FROM "Order" WHERE status = 'PENDING' AND "createdAt" < ${placedBefore}
          ${after ? Prisma.sql`AND ("createdAt", id) > (${after.createdAt}, ${after.id})` : Prisma.empty} ORDER BY "createdAt", id LIMIT ${limit}`,
      ),

    // The same index, over the orders placed since `placedAfter` only.
    findUnrefundedCancelled: (placedAfter, changedBefore, limit, after) =>
      queryDirect<{ id: string; userId: string; createdAt: Date }>(
        prisma,
        Prisma.sql`SELECT id, "userId", "createdAt" FROM "Order" WHERE status = 'CANCELLED' AND "createdAt" > ${placedAfter}
          AND "updatedAt" < ${changedBefore} AND "refundedAmount" < "totalAmount"
          ${after ? Prisma.sql`AND ("createdAt", id) > (${after.createdAt}, ${after.id})` : Prisma.empty} ORDER BY "createdAt", id LIMIT ${limit}`,
      ),

    // The ("status", "createdAt") index of refunds; each refund's payment rows read in its
    // customer's partition (the locator names it).
    async findUnsettledRefunds(askedAfter, askedBefore, limit, after) {
      const rows = await queryDirect<{
        id: string;
        orderId: string;
        userId: string;
        amount: number;
        currency: string;
        createdAt: Date;
        paymentId: string | null;
        paidStatus: string | null;
        paidRef: string | null;
      }>(
        prisma,
        Prisma.sql`SELECT r.id, r."orderId", l."userId", r.amount, r.currency, r."createdAt", p.id AS "paymentId",
            pr.status::text AS "paidStatus", pr."providerRef" AS "paidRef"
          FROM "Refund" r
          JOIN "OrderLocator" l ON l.id = r."orderId"
          LEFT JOIN "Payment" p ON p."orderId" = r."orderId" AND p."userId" = l."userId"
          LEFT JOIN "PaymentRefund" pr ON pr.id = r.id AND pr."userId" = l."userId"
          WHERE r.status = 'PENDING' AND r."createdAt" > ${askedAfter} AND r."createdAt" < ${askedBefore}
            AND (pr.id IS NULL OR pr.status = 'SUCCEEDED')
            ${after ? Prisma.sql`AND (r."createdAt", r.id) > (${after.createdAt}, ${after.id})` : Prisma.empty}
          ORDER BY r."createdAt", r.id LIMIT ${limit}`,
      );
      return rows.map((row) => ({
        id: row.id,
        orderId: row.orderId,
        userId: row.userId,
        amount: { amount: row.amount, currency: row.currency },
        paymentId: row.paymentId,
        atPayments: row.paidStatus === "SUCCEEDED" ? { status: "SUCCEEDED" as const, providerRef: row.paidRef } : null,
        createdAt: row.createdAt,
      }));
    },

    // Two index ranges: status changes by ("to", "at"), approved returns by ("status",
    // "decidedAt"); each checked against the inventory's once-only StockReturn rows. A cancel
    // put units back only when its hold had been sold (committed): a released hold went back
    // with the cancel itself.
    findUnreturnedStock: (changedAfter, changedBefore, limit, after) =>
      queryDirect<{ returnId: string; orderId: string; userId: string; changedAt: Date }>(
        prisma,
        Prisma.sql`SELECT x."returnId", x."orderId", x."userId", x."changedAt" FROM (
            SELECT CASE WHEN c."to" = 'CANCELLED' THEN 'cancel:' ELSE 'refund:' END || c."orderId" AS "returnId", c."orderId", c."userId", c.at AS "changedAt"
              FROM "OrderStatusChange" c
              JOIN "Order" o ON o.id = c."orderId" AND o."userId" = c."userId"
              LEFT JOIN "Reservation" rv ON rv.id = o."reservationId"
              WHERE c."to" IN ('CANCELLED', 'REFUNDED') AND c.at > ${changedAfter} AND c.at < ${changedBefore}
                AND ((c."to" = 'CANCELLED' AND rv.status = 'COMMITTED') OR (c."to" = 'REFUNDED' AND c."from" = 'PAID'))
            UNION ALL
            SELECT 'return:' || r.id, r."orderId", r."userId", r."decidedAt"
              FROM "Return" r
              WHERE r.status = 'APPROVED' AND r."decidedAt" > ${changedAfter} AND r."decidedAt" < ${changedBefore}
          ) x
          WHERE NOT EXISTS (SELECT 1 FROM "StockReturn" s WHERE s.id = x."returnId")
            ${after ? Prisma.sql`AND (x."changedAt", x."returnId") > (${after.changedAt}, ${after.returnId})` : Prisma.empty}
          ORDER BY x."changedAt", x."returnId" LIMIT ${limit}`,
      ),

    itemsOf: (orderIds) => itemsIn(prisma, orderIds),

    refundsOf: (orderIds) => afterSale.refundsOf(prisma, orderIds),
    returnsOf: (orderIds) => afterSale.returnsOf(prisma, orderIds),
    findReturn: (id) => afterSale.findReturn(prisma, id),
    findRefund: (id) => afterSale.findRefund(prisma, id),

    async historyOf(orderIds) {
      const customers = await customersOf(prisma, orderIds);
      const rows = await prisma.orderStatusChange.findMany({ where: { userId: { in: customers }, orderId: { in: [...orderIds] } }, orderBy: { at: "asc" } });
      const byOrder = new Map<string, OrderStatusChange[]>();
      for (const row of rows) {
        const change: OrderStatusChange = { from: (row.from as OrderStatus | null) ?? null, to: row.to as OrderStatus, reason: row.reason, at: row.at };
        byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), change]);
      }
      return byOrder;
    },

    async place({ order, items, payment, events, cart, couponId }) {
      // One statement (see the orders_place migrations): the cart's removal, the order, its
      // lines, first status change, payment and events, or nothing (an archived id among the
      // refusals: an archived order never comes back live).
      let result: PlaceResult;
      const sentAt = Date.now();
      try {
        [{ result }] = await queryDirect<{ result: PlaceResult }>(prisma, Prisma.sql`
          SELECT orders_place(
            ${order.id}, ${order.userId}, ${order.status}, ${order.total.currency}, ${order.total.amount}::int,
            ${order.idempotencyKey}, ${order.requestHash}, ${order.reservationId}, ${order.createdAt}::timestamp(3),
            ${JSON.stringify(items.map(itemRow))}::jsonb,
            ${randomUUID()}, ${payment.id}, ${payment.amount.amount}::int, ${payment.amount.currency},
            ${outboxRows(events)}::jsonb,
            ${cart.ordered.map((l) => l.variantId)}::text[], ${cart.ordered.map((l) => l.quantity)}::int[],
            ${cart.ordered.map((l) => l.accepted.amount)}::int[], ${cart.ordered.map((l) => l.accepted.currency)}::text[],
            ${[...cart.unavailable]}::text[],
            ${order.subtotal.amount}::int, ${order.discountTotal.amount}::int, ${order.shippingTotal.amount}::int, ${order.taxTotal.amount}::int,
            ${order.shippingAddress === null ? null : JSON.stringify(order.shippingAddress)}::jsonb,
            ${order.shippingMethod === null ? null : JSON.stringify(order.shippingMethod)}::jsonb,
            ${couponId}::text, ${order.couponCode}::text, ${order.optionsHash}::text, ${payment.method}::text,
            ${cart.ordered.map((l) => l.addedAt.toISOString())}::timestamp(3)[]
          ) AS result`) as [{ result: PlaceResult }];
      } catch (error) {
        // The id derives from the key: a collision on either means the key is taken.
        if (isUniqueViolation(error)) throw new IdempotencyKeyTaken(order.userId, order.idempotencyKey);
        // The caller reads the key next to learn whether the order was written (and frees the
        // hold if not): a statement still running on the server behind a cut connection could
        // commit after that read, an order whose hold was given back.
        await untilSettledOnServer(prisma, error, sentAt);
        throw error;
      }
      if (result.outcome === "archived") throw orderArchived(order.id);
      if (result.outcome !== "placed" && result.outcome !== "changed" && result.outcome !== "coupon") throw new Error(`orders_place answered ${JSON.stringify(result)}`);
      if (result.outcome === "changed") throw new CartChanged(order.userId, result.linesLeft, result.lastOrderId, result.pricedLinesLeft ?? null);
      if (result.outcome === "coupon") throw new CouponNotRedeemable(result.reason);
      committed();
    },

    async update(orderId, decide, once, customer) {
      let wroteEvents = false;
      // Two round trips on a pooled connection of its own rather than Prisma's interactive
      // transaction (a checkout's payment outcome runs this once): BEGIN with the claim of the
      // event (with `once`), the lock and read of the order and, its customer known, its lines;
      // decide (which may call the inventory) with the row locked; the transition, its history
      // and its events with COMMIT.
      const apply = async (statement: TransactionStatement): Promise<{ order: Order | null } | "duplicate"> => {
        const claim = once
          ? Prisma.sql`INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt") VALUES (${once.consumer}, ${once.event.id}, now()) ON CONFLICT DO NOTHING RETURNING 1`
          : NO_CLAIM;
        let locked = customer === undefined ? undefined : (await statement<LockedRow>(lockedWithLines(orderId, customer, claim)))[0];
        // No customer told, or the order is not that customer's: found through its locator, the
        // claim made once.
        if (!locked || (locked.fresh && !locked.id)) [locked] = await statement<LockedRow>(lockedByLocator(orderId, locked ? NO_CLAIM : claim));
        // Applied before: the ProcessedEvent row exists (a concurrent twin waited on it and committed).
        if (locked && !locked.fresh) return "duplicate";
        const current = locked?.id ? toOrder(locked as OrderRow) : null;
        const reads: LockedOrderReads = {
          // The customer and the currency are the locked row's: one statement, no locator.
          items: async () => (!current ? [] : locked?.lines ? locked.lines.map((row) => toItem(row, current.total.currency)) : linesOfLocked(statement, current)),
          refunds: async () => (current ? afterSale.refundsOfLocked(statement, current.id) : []),
          returns: async () => (current ? afterSale.returnsOfLocked(statement, { id: current.id, userId: current.userId, currency: current.total.currency }) : []),
        };
        const update = await decide(current, reads);
        if (!current || !update) return { order: current };
        const events = outboxRows(update.events);
        wroteEvents = update.events.length > 0;
        // After-sale records first: a refund beyond the total fails the CHECK here and the
        // whole decision (transition and events included) rolls back.
        const wroteRecords = await afterSale.write(statement, current, update);
        if (!update.transition) {
          if (wroteEvents) await statement(insertOutboxRows(events));
          if (!wroteRecords) return { order: current };
          const [row] = await statement<OrderRow>(Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "Order" WHERE id = ${orderId} AND "userId" = ${current.userId}`);
          return { order: toOrder(row!) };
        }
        const { from, to, reason, at } = update.transition;
        const [updated] = await statement<OrderRow>(Prisma.sql`
          WITH updated AS (
            UPDATE "Order" SET status = ${to}::"OrderStatus", "statusReason" = ${reason}, "updatedAt" = ${at}::timestamp(3),
              "deliveredAt" = CASE WHEN ${to} = 'DELIVERED' THEN COALESCE("deliveredAt", ${at}::timestamp(3)) ELSE "deliveredAt" END
            WHERE id = ${orderId} AND "userId" = ${current.userId} RETURNING ${ORDER_COLUMNS}
          ), history AS (
            INSERT INTO "OrderStatusChange" (id, "orderId", "userId", "from", "to", reason, at)
            VALUES (${randomUUID()}, ${orderId}, ${current.userId}, ${from}::"OrderStatus", ${to}::"OrderStatus", ${reason}, ${at}::timestamp(3))
          ), announced AS (${insertOutboxRows(events)})
          SELECT * FROM updated`, { andCommit: true });
        return { order: toOrder(updated!) };
      };
      const result = await inDirectTransaction(prisma, apply);
      if (result === "duplicate") return null;
      if (wroteEvents) committed();
      return result.order;
    },
  };
}

/** The lines of these orders, per order, in variant order. */
async function itemsIn(db: PrismaClient | Prisma.TransactionClient, orderIds: readonly string[]): Promise<Map<string, OrderItem[]>> {
  const customers = await customersOf(db, orderIds);
  const rows = await db.orderItem.findMany({
    where: { userId: { in: customers }, orderId: { in: [...orderIds] } },
    // Lines are priced in their order's currency, which the order row holds once.
    include: { order: { select: { currency: true } } },
    orderBy: [{ orderId: "asc" }, { variantId: "asc" }],
  });
  const byOrder = new Map<string, OrderItem[]>();
  for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), toItem(row, row.order.currency)]);
  return byOrder;
}

type ItemRow = Prisma.OrderItemGetPayload<object>;

/**
 * The lines of an order whose row this transaction holds locked, in variant order: its
 * customer (the partition) and currency are known, so one statement (the payment outcome
 * reads them on every checkout, inside the order's lock).
 */
async function linesOfLocked(statement: TransactionStatement, order: Order): Promise<OrderItem[]> {
  const rows = await statement<ItemRow>(Prisma.sql`
    SELECT "orderId", "userId", "variantId", "productId", name, sku, "variantTitle", options, "unitAmount", quantity, "discountAmount", "taxAmount"
    FROM "OrderItem" WHERE "userId" = ${order.userId} AND "orderId" = ${order.id} ORDER BY "variantId"`);
  return rows.map((row) => toItem(row, order.total.currency));
}

function toItem(row: ItemRow, currency: string): OrderItem {
  return {
    orderId: row.orderId,
    variantId: row.variantId,
    productId: row.productId,
    name: row.name,
    sku: row.sku,
    variantTitle: row.variantTitle,
    options: row.options as OrderItem["options"],
    quantity: row.quantity,
    unitPrice: { amount: row.unitAmount, currency },
    discount: row.discountAmount === null ? null : { amount: row.discountAmount, currency },
    tax: row.taxAmount === null ? null : { amount: row.taxAmount, currency },
  };
}

/** One order line as orders_place reads it (see its migration). */
const itemRow = (item: OrderItem) => ({
  variantId: item.variantId,
  productId: item.productId,
  name: item.name,
  sku: item.sku,
  variantTitle: item.variantTitle,
  options: item.options,
  quantity: item.quantity,
  unitAmount: item.unitPrice.amount,
  discountAmount: item.discount?.amount ?? null,
  taxAmount: item.tax?.amount ?? null,
});

// The Order row as toOrder reads it; the status as text, so raw statements and the model agree.
const ORDER_COLUMNS = Prisma.sql`id, "userId", status::text AS status, "statusReason", currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt", "refundedAmount", "deliveredAt",
  "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount", "shippingAddress", "shippingMethod", "couponCode", "optionsHash"`;

type LockedRow = { fresh: boolean; lines?: ItemRow[] | null } & Partial<OrderRow>;

/** The claim of an update that applies no event: always fresh. */
const NO_CLAIM = Prisma.sql`SELECT 1`;

/**
 * Claims the event (`claim` answers a row when this statement made the claim, or always
 * without one) and, when it did, locks the order and reads it: the order by its customer, one
 * partition planned, and its lines with it; no row when the order is not this customer's.
 */
const lockedWithLines = (orderId: string, customer: string, claim: Prisma.Sql) => Prisma.sql`
  WITH fresh AS (${claim})
  SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, locked.*, lines.lines
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
    SELECT ${ORDER_COLUMNS} FROM "Order" WHERE id = ${orderId} AND "userId" = ${customer} AND EXISTS (SELECT 1 FROM fresh) FOR UPDATE
  ) AS locked ON true
  LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(${ITEM_FIELDS}) ORDER BY "variantId") AS lines
    FROM "OrderItem" WHERE "userId" = ${customer} AND "orderId" = ${orderId} AND locked.id IS NOT NULL
  ) AS lines ON true`;

/** As lockedWithLines, the customer found through the order's locator, without the lines. */
const lockedByLocator = (orderId: string, claim: Prisma.Sql) => Prisma.sql`
  WITH fresh AS (${claim})
  SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, locked.*
  FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT ${ORDER_COLUMNS} FROM "Order" WHERE id = ${orderId} AND "userId" = ${customerOf(orderId)} AND EXISTS (SELECT 1 FROM fresh) FOR UPDATE
  ) AS locked ON true`;

/** An order line as a JSON object of ItemRow's fields, for a statement that reads lines beside their order. */
const ITEM_FIELDS = Prisma.raw(
  ["orderId", "userId", "variantId", "productId", "name", "sku", "variantTitle", "options", "unitAmount", "quantity", "discountAmount", "taxAmount"].map((column) => `'${column}', "${column}"`).join(", "),
);

/**
 * An order by id alone in one statement (the locked read of `update` has this shape): one
 * partition read, pruned when the locator's subquery has run, none for an unknown id.
 */
export const orderByIdStatement = (id: string) => Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "Order" WHERE id = ${id} AND "userId" = ${customerOf(id)}`;

/** The order a customer's idempotency key placed (`findByIdempotencyKey`), as a statement to send with others. */
export const orderOfKeyStatement = (userId: string, idempotencyKey: string) =>
  Prisma.sql`SELECT ${ORDER_COLUMNS} FROM "Order" WHERE "userId" = ${userId} AND "idempotencyKey" = ${idempotencyKey}`;

/** An order from a row of `orderOfKeyStatement` or `orderByIdStatement`. */
export const orderOfRow = (row: unknown): Order => toOrder(row as OrderRow);

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatus,
    statusReason: row.statusReason,
    total: { amount: row.totalAmount, currency: row.currency },
    subtotal: { amount: row.subtotalAmount, currency: row.currency },
    discountTotal: { amount: row.discountAmount, currency: row.currency },
    shippingTotal: { amount: row.shippingAmount, currency: row.currency },
    taxTotal: { amount: row.taxAmount, currency: row.currency },
    shippingAddress: (row.shippingAddress as unknown as OrderAddress | null) ?? null,
    shippingMethod: (row.shippingMethod as unknown as OrderShippingMethod | null) ?? null,
    couponCode: row.couponCode,
    optionsHash: row.optionsHash,
    idempotencyKey: row.idempotencyKey,
    requestHash: row.requestHash,
    reservationId: row.reservationId,
    refundedAmount: row.refundedAmount,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * A unique violation on the order's locator (its id) or on an "Order" partition (the customer's
 * key), as pg (SQLSTATE) or Prisma (model write) reports it.
 */
function isUniqueViolation(error: unknown): boolean {
  const { code, table } = (error ?? {}) as { code?: unknown; table?: unknown };
  return (code === "23505" && typeof table === "string" && /^Order(Locator|_p\d+)?$/.test(table)) || code === "P2002";
}
