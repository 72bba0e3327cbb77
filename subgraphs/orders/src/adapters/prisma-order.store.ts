import { randomUUID } from "node:crypto";
import type { DomainEvent } from "#kernel";
import { processOnce, writeOutbox, type Prisma, type PrismaClient } from "#kernel/relational";
import type { Order, OrderItem, OrderStatus, OrderStatusChange } from "../domain/order.js";
import type { OutboxMessage } from "../domain/order-events.js";
import { CartChanged, IdempotencyKeyTaken, type OrderStore } from "../ports/order-store.js";

type OrderRow = Prisma.OrderGetPayload<object>;

/** What orders_place answers: placed, or the cart's "changed" (then nothing was written). */
type PlaceResult = { outcome: "placed" } | { outcome: "changed"; linesLeft: number; lastOrderId: string | null };

// An update may wait on the inventory while it holds the order's row lock. Generous
// limits, still bounded.
const UPDATE_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

/** Orders in PostgreSQL; `onCommit` runs after every commit that wrote outbox events. */
export function createPrismaOrderStore(deps: { prisma: PrismaClient; onCommit?: () => void }): OrderStore {
  const { prisma } = deps;
  const committed = () => deps.onCommit?.();

  return {
    async findById(id) {
      const row = await prisma.order.findUnique({ where: { id } });
      return row ? toOrder(row) : null;
    },

    async findByIdempotencyKey(userId, idempotencyKey) {
      const row = await prisma.order.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } });
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

    async itemsOf(orderIds) {
      const rows = await prisma.orderItem.findMany({
        where: { orderId: { in: [...orderIds] } },
        // Lines are priced in their order's currency, which the order row holds once.
        include: { order: { select: { currency: true } } },
        orderBy: [{ orderId: "asc" }, { productId: "asc" }],
      });
      const byOrder = new Map<string, OrderItem[]>();
      for (const row of rows) {
        const item: OrderItem = { orderId: row.orderId, productId: row.productId, name: row.name, quantity: row.quantity, unitPrice: { amount: row.unitAmount, currency: row.order.currency } };
        byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), item]);
      }
      return byOrder;
    },

    async historyOf(orderIds) {
      const rows = await prisma.orderStatusChange.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { at: "asc" } });
      const byOrder = new Map<string, OrderStatusChange[]>();
      for (const row of rows) {
        const change: OrderStatusChange = { from: (row.from as OrderStatus | null) ?? null, to: row.to as OrderStatus, reason: row.reason, at: row.at };
        byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), change]);
      }
      return byOrder;
    },

    async place({ order, items, payment, events, cart }) {
      // One statement (see the orders_place migration): the cart's removal, the order, its
      // lines, first status change, payment and events, or nothing.
      let result: PlaceResult;
      try {
        [{ result }] = await prisma.$queryRaw<[{ result: PlaceResult }]>`
          SELECT orders_place(
            ${order.id}, ${order.userId}, ${order.status}, ${order.total.currency}, ${order.total.amount}::int,
            ${order.idempotencyKey}, ${order.requestHash}, ${order.reservationId}, ${order.createdAt}::timestamp(3),
            ${items.map((i) => i.productId)}::text[], ${items.map((i) => i.name)}::text[],
            ${items.map((i) => i.quantity)}::int[], ${items.map((i) => i.unitPrice.amount)}::int[],
            ${randomUUID()}, ${payment.id}, ${payment.amount.amount}::int, ${payment.amount.currency},
            ${JSON.stringify(events.map(({ topic, event }) => ({ id: event.id, topic, key: event.key, type: event.type, payload: event.payload, occurredAt: event.occurredAt })))}::jsonb,
            ${cart.ordered.map((l) => l.productId)}::text[], ${cart.ordered.map((l) => l.quantity)}::int[],
            ${cart.ordered.map((l) => l.accepted.amount)}::int[], ${cart.ordered.map((l) => l.accepted.currency)}::text[],
            ${[...cart.unavailable]}::text[]
          ) AS result`;
      } catch (error) {
        // The id derives from the key: a collision on either means the key is taken.
        if (isUniqueViolation(error)) throw new IdempotencyKeyTaken(order.userId, order.idempotencyKey);
        throw error;
      }
      if (result.outcome === "changed") throw new CartChanged(order.userId, result.linesLeft, result.lastOrderId);
      committed();
    },

    async update(orderId, decide, once) {
      let wroteEvents = false;
      const apply = async (tx: Prisma.TransactionClient): Promise<Order | null> => {
        await tx.$queryRaw`SELECT 1 FROM "Order" WHERE id = ${orderId} FOR UPDATE`;
        const row = await tx.order.findUnique({ where: { id: orderId } });
        const current = row ? toOrder(row) : null;
        const update = await decide(current);
        if (!current || !update) return current;
        let result = current;
        if (update.transition) {
          const { from, to, reason, at } = update.transition;
          const updated = await tx.order.update({ where: { id: orderId }, data: { status: to, statusReason: reason, updatedAt: at } });
          await tx.orderStatusChange.create({ data: { id: randomUUID(), orderId, from, to, reason, at } });
          result = toOrder(updated);
        }
        await recordEvents(tx, update.events);
        wroteEvents = update.events.length > 0;
        return result;
      };
      let result: Order | null = null;
      if (once) {
        const applied = await processOnce(prisma, once.consumer, once.event as DomainEvent, async (tx) => {
          result = await apply(tx);
        });
        if (!applied) return null;
      } else {
        result = await prisma.$transaction(apply, UPDATE_OPTIONS);
      }
      if (wroteEvents) committed();
      return result;
    },
  };
}

async function recordEvents(tx: Prisma.TransactionClient, messages: OutboxMessage[]): Promise<void> {
  const byTopic = new Map<string, DomainEvent[]>();
  for (const { topic, event } of messages) byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
  for (const [topic, events] of byTopic) await writeOutbox(tx, topic, events);
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatus,
    statusReason: row.statusReason,
    total: { amount: row.totalAmount, currency: row.currency },
    idempotencyKey: row.idempotencyKey,
    requestHash: row.requestHash,
    reservationId: row.reservationId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A unique violation on the Order table, as Prisma reports it for a model write or a raw statement. */
function isUniqueViolation(error: unknown): boolean {
  const { code, meta } = (error ?? {}) as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown; table?: unknown } } } };
  if (code === "P2002") return true;
  const cause = meta?.driverAdapterError?.cause;
  return code === "P2010" && cause?.kind === "UniqueConstraintViolation" && cause.table === "Order";
}
