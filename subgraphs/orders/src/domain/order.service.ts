import { decodeCursor, encodeCursor, ErrorCode, isAdmin, notFound, pageSize, requireAdmin, requireUser, type Identity, type RequestContext } from "#kernel";
import type { Order, OrderItem, OrderStatus } from "./order.js";
import { isArchived } from "./order-archive.js";
import type { ArchiveReadingOrderStore } from "./archive-reading-order-store.js";
import { transitionTo } from "./order-transition.js";
import { onCancel } from "./order-state-machine.js";
import { CANCEL_REFUND_KEY, cancelRestockId } from "./after-sale.js";
import { promiseRefund } from "./refund-plan.js";
import type { OrderPosition, OrderStore } from "../ports/order-store.js";
import type { StockReservations } from "../ports/stock-reservations.js";
import { stockReturnRequested } from "./order-events.js";

export interface OrderPage {
  edges: { cursor: string; node: Order }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: () => Promise<number>;
}

const isPosition = (value: unknown): value is OrderPosition =>
  typeof value === "object" && value !== null && typeof (value as OrderPosition).createdAt === "string" && typeof (value as OrderPosition).id === "string";

/** An order is visible to its owner and to admins; to anyone else it does not exist. */
export const canSee = (identity: Identity | undefined, order: Order): boolean => !!identity && (order.userId === identity.userId || isAdmin(identity));

/**
 * Reading orders and the transitions people ask for: customers cancel their orders until they
 * ship (a PENDING one's stock hold is released before the cancel commits; a PAID one's payment
 * is refunded in full and its sold units are put back by events written with the cancel, so
 * they come back exactly when it commits, and so is a PENDING one whose hold a payment
 * confirmation already sold), admins ship and deliver. Asking for the status an order already
 * has (a double click, a retry after a lost answer) answers it as it is and changes nothing.
 */
export function createOrderService(deps: { store: OrderStore & Partial<Pick<ArchiveReadingOrderStore, "listWithArchive" | "countWithArchive">>; reservations: StockReservations; clock?: () => Date }) {
  const { store, reservations } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function visibleOrder(identity: Identity | undefined, id: string): Promise<Order | null> {
    const order = await store.findById(id);
    return order && canSee(identity, order) ? order : null;
  }

  return {
    order: (ctx: RequestContext, id: string) => visibleOrder(ctx.identity, id),

    /**
     * The lines of one of a customer's orders, whatever its status, archived ones included
     * (the cart's "buy again"); null when the customer has no order with that id, so another
     * customer's order reads as a missing one.
     */
    async linesOf(customerId: string, orderId: string): Promise<OrderItem[] | null> {
      const order = await store.findById(orderId);
      if (!order || order.userId !== customerId) return null;
      if (isArchived(order)) return order.archived.items;
      return (await store.itemsOf([orderId])).get(orderId) ?? [];
    },

    /**
     * The coupon a customer's order was placed with, when the order gave its use back (its
     * payment failed or it was cancelled: the coupon's redemption is released in the status
     * change's transaction); null for any other order and for another customer's.
     */
    async couponGivenBackOf(customerId: string, orderId: string): Promise<string | null> {
      const order = await store.findById(orderId);
      if (!order || order.userId !== customerId) return null;
      return order.status === "PAYMENT_FAILED" || order.status === "CANCELLED" ? order.couponCode : null;
    },

    /** The status of one of a customer's orders, archived ones included; null for another customer's, or none. */
    async statusOf(customerId: string, orderId: string): Promise<OrderStatus | null> {
      const order = await store.findById(orderId);
      return order && order.userId === customerId ? order.status : null;
    },

    /** A customer's orders, newest first; with includeArchived, the archived ones too (one cursor for both). */
    async list(ctx: RequestContext, args: { first?: number | null; after?: string | null; includeArchived?: boolean | null }): Promise<OrderPage> {
      const { userId } = requireUser(ctx);
      const first = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after, isPosition) : undefined;
      const archived = args.includeArchived && store.listWithArchive && store.countWithArchive ? { list: store.listWithArchive, count: store.countWithArchive } : null;
      const { items, hasNextPage } = archived ? await archived.list(userId, first, after) : await store.listByUser(userId, first, after);
      const edges = items.map((node) => ({ cursor: encodeCursor({ createdAt: node.createdAt.toISOString(), id: node.id }), node }));
      return { edges, hasNextPage, endCursor: edges.at(-1)?.cursor ?? null, totalCount: () => (archived ? archived.count(userId) : store.countByUser(userId)) };
    },

    async cancel(ctx: RequestContext, id: string): Promise<Order> {
      const identity = requireUser(ctx);
      const order = await store.update(id, async (current, reads) => {
        if (!current || !canSee(identity, current)) throw notFound("Order", id);
        // Already cancelled (a double click, a retry after a lost answer): answered as it is.
        if (current.status === "CANCELLED") return null;
        const at = clock();
        // Under the row lock: a payment outcome for this order waits until the cancel is
        // decided, then sees CANCELLED (and requests a refund if the money was taken).
        if (onCancel(id, current.status) === "release") {
          const update = transitionTo(current, "CANCELLED", "Cancelled by the customer", at);
          if ((await releaseHold(current.reservationId)) === "released") return update;
          ctx.logger.warn("cancel found the order's hold sold by a payment confirmation that had not committed; cancelled as a paid order", { orderId: id });
        }
        // PAID, or PENDING with its hold sold: the money was captured and the units sold. Refund
        // what is left of the capture (an admin may have refunded part already) and put every
        // unit back, once per order.
        const refund = promiseRefund(current, await reads.refunds(), { idempotencyKey: CANCEL_REFUND_KEY, amount: null, reason: "Order cancelled by the customer" }, at, { quietWhenNothingLeft: true });
        // Announced, not called: units put back before a commit that then failed stayed on
        // sale for an order still PAID (and shipped later), which sold them twice.
        const restock = stockReturnRequested({ returnId: cancelRestockId(id), orderId: id, items: (await reads.items()).map(({ variantId, quantity }) => ({ variantId, quantity })) }, at);
        const update = transitionTo(current, "CANCELLED", "Cancelled by the customer; the payment is refunded", at, [...(refund?.events ?? []), restock]);
        return { ...update, refunds: refund?.refunds ?? [] };
      });
      ctx.logger.info("order cancelled", { orderId: id });
      return order!;
    },

    ship: (ctx: RequestContext, id: string) => adminTransition(ctx, id, "SHIPPED"),
    deliver: (ctx: RequestContext, id: string) => adminTransition(ctx, id, "DELIVERED"),
  };

  /**
   * Gives a PENDING order's stock hold back; "sold" when the inventory had already sold it. Only
   * a payment's confirmation commits a hold, and it does so before the order's PAID commits in
   * the same transaction: when that transaction then failed (a crash, a timeout), the order is
   * still PENDING until the confirmation is delivered again, yet its money was captured and its
   * units sold. Refusing the cancel there (the inventory's ILLEGAL_TRANSITION) left the customer
   * a refusal about a reservation for an order they could cancel a moment later; cancelling it
   * as the paid order it is gives the same end as a cancel just after PAID, and the late
   * confirmation then finds the cancel's refund under the same key and asks for nothing more.
   */
  async function releaseHold(reservationId: string): Promise<"released" | "sold"> {
    try {
      await reservations.release(reservationId);
      return "released";
    } catch (error) {
      const extensions = (error as { extensions?: { code?: unknown; from?: unknown } } | null)?.extensions;
      if (extensions?.code === ErrorCode.ILLEGAL_TRANSITION && extensions.from === "COMMITTED") return "sold";
      throw error;
    }
  }

  async function adminTransition(ctx: RequestContext, id: string, to: "SHIPPED" | "DELIVERED"): Promise<Order> {
    requireAdmin(ctx);
    const order = await store.update(id, async (current) => {
      if (!current) throw notFound("Order", id);
      // Already there (a double click, a retry after a lost answer): answered as it is, announced once.
      if (current.status === to) return null;
      return transitionTo(current, to, null, clock());
    });
    ctx.logger.info("order status changed by admin", { orderId: id, to });
    return order!;
  }
}

export type OrderService = ReturnType<typeof createOrderService>;
