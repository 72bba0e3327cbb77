import { randomUUID } from "node:crypto";
import type { DomainEvent, Money } from "#kernel";
import { processOnce, writeOutbox, type Prisma, type PrismaClient } from "#kernel/relational";
import type { Order, OrderItem, OrderStatus, OrderStatusChange } from "../domain/order.js";
import type { OutboxMessage } from "../domain/order-events.js";
import { CartChanged, IdempotencyKeyTaken, type OrderStore } from "../ports/order-store.js";

type OrderRow = Prisma.OrderGetPayload<object>;

/**
 * Removes exactly the priced lines from the cart inside the order's transaction (the cart's
 * own code), or answers "changed" when the cart no longer holds them all.
 */
export type RemoveFromCart = (
  tx: Prisma.TransactionClient,
  userId: string,
  orderId: string,
  ordered: readonly { productId: string; quantity: number; accepted: Money }[],
  unavailable: readonly string[],
) => Promise<{ kind: "removed" } | { kind: "changed"; linesLeft: number; lastOrderId: string | null }>;

// Bursts of checkouts queue for pool connections; an update may wait on the inventory
// while it holds the order's row lock. Generous limits, still bounded.
const PLACE_OPTIONS = { maxWait: 10_000, timeout: 10_000 };
const UPDATE_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

/** Orders in PostgreSQL; `onCommit` runs after every commit that wrote outbox events. */
export function createPrismaOrderStore(deps: { prisma: PrismaClient; removeFromCart: RemoveFromCart; onCommit?: () => void }): OrderStore {
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
      await prisma.$transaction(async (tx) => {
        // The cart first: its row lock queues every checkout of this cart, and a loser
        // (whatever its key) stops here before writing anything.
        const removal = await deps.removeFromCart(tx, order.userId, order.id, cart.ordered, cart.unavailable);
        if (removal.kind === "changed") throw new CartChanged(order.userId, removal.linesLeft, removal.lastOrderId);
        try {
          await tx.order.create({
            data: {
              id: order.id,
              userId: order.userId,
              status: order.status,
              currency: order.total.currency,
              totalAmount: order.total.amount,
              idempotencyKey: order.idempotencyKey,
              requestHash: order.requestHash,
              reservationId: order.reservationId,
              createdAt: order.createdAt,
              updatedAt: order.updatedAt,
              items: { createMany: { data: items.map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitAmount: unitPrice.amount })) } },
              history: { create: { id: randomUUID(), from: null, to: order.status, at: order.createdAt } },
            },
          });
        } catch (error) {
          // The id derives from the key: a collision on either means the key is taken.
          if (isUniqueViolation(error)) throw new IdempotencyKeyTaken(order.userId, order.idempotencyKey);
          throw error;
        }
        await tx.payment.create({
          data: { id: payment.id, orderId: order.id, userId: order.userId, status: "PENDING", amount: payment.amount.amount, currency: payment.amount.currency, attempts: 0 },
        });
        await recordEvents(tx, events);
      }, PLACE_OPTIONS);
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

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}
