import type { Money } from "#kernel";
import type { Prisma, PrismaClient } from "#kernel/relational";
import type { CartLine, StoredCart } from "../domain/cart.js";
import type { CartStore } from "../ports/cart-store.js";

type Db = PrismaClient | Prisma.TransactionClient;

/** Carts in PostgreSQL: a `Cart` row per user (the lock) and a `CartItem` row per line. */
export function createPrismaCartStore(prisma: PrismaClient): CartStore {
  return {
    find: (userId) => readCart(prisma, userId),

    changeLine: (userId, productId, decide) =>
      prisma.$transaction(async (tx) => {
        const cart = await lockCart(tx, userId);
        const current = cart.lines.find((line) => line.productId === productId);
        const next = decide(current, cart);
        if (next === null) {
          if (current) await tx.cartItem.delete({ where: { userId_productId: { userId, productId } } });
        } else {
          const data = { quantity: next.quantity, unitAmount: next.accepted.amount, currency: next.accepted.currency };
          await tx.cartItem.upsert({
            where: { userId_productId: { userId, productId } },
            create: { userId, productId, ...data, addedAt: next.addedAt },
            update: data,
          });
        }
        await tx.cart.update({ where: { userId }, data: customerChange() });
        return readCart(tx, userId);
      }),

    acceptPrices: (userId, prices) =>
      prisma.$transaction(async (tx) => {
        await lockCart(tx, userId);
        for (const [productId, price] of prices) {
          await tx.cartItem.updateMany({ where: { userId, productId }, data: { unitAmount: price.amount, currency: price.currency } });
        }
        await tx.cart.update({ where: { userId }, data: customerChange() });
        return readCart(tx, userId);
      }),
  };
}

/** A change by the customer: the cart is no longer what the last order left of it. */
const customerChange = () => ({ updatedAt: new Date(), lastOrderId: null });

/** A line as checkout priced it: what it expects to find in the cart, exactly. */
export interface OrderedLine {
  productId: string;
  quantity: number;
  accepted: Money;
}

/** What became of the lines an order asked the cart for. */
export type CartRemoval =
  | { kind: "removed" }
  /**
   * Some priced line is gone or differs (another checkout took it, or the customer changed
   * it): the caller must roll its transaction back. `linesLeft` counts the lines the cart held
   * (unavailable products aside); `lastOrderId` names the order that took its lines last,
   * unless the customer changed it since.
   */
  | { kind: "changed"; linesLeft: number; lastOrderId: string | null };

/**
 * Removes what an order took from the cart, inside the order's own transaction, so the cart
 * is emptied exactly when the order exists, and one cart becomes at most one order whatever
 * the idempotency keys of the checkouts racing for it.
 *
 * The database decides. The cart's row lock comes first, as in every change of the cart, so
 * checkouts and edits of one cart take turns (and never deadlock on its lines); under READ
 * COMMITTED each statement then sees what the previous holder committed. The delete of
 * exactly the priced lines (product, quantity, accepted price) counts what it found: all of
 * them, or the cart "changed" (a race's losers find none). A row count under the lock rather
 * than a cart version column: it asks precisely whether the lines this order charges for are
 * still there, so a line added meanwhile does not refuse the checkout (it stays for a later
 * order). Lines of products that left the catalog go too (they
 * were not ordered and cannot be).
 */
export async function removeOrderedLines(
  tx: Prisma.TransactionClient,
  userId: string,
  orderId: string,
  ordered: readonly OrderedLine[],
  unavailable: readonly string[],
): Promise<CartRemoval> {
  const [cart] = await tx.$queryRaw<{ lastOrderId: string | null }[]>`SELECT "lastOrderId" FROM "Cart" WHERE "userId" = ${userId} FOR UPDATE`;
  const { count } = await tx.cartItem.deleteMany({
    where: {
      userId,
      OR: ordered.map(({ productId, quantity, accepted }) => ({ productId, quantity, unitAmount: accepted.amount, currency: accepted.currency })),
    },
  });
  if (!cart || count !== ordered.length) {
    const left = await tx.cartItem.count({ where: { userId, productId: { notIn: [...unavailable] } } });
    return { kind: "changed", linesLeft: left + count, lastOrderId: cart?.lastOrderId ?? null };
  }
  if (unavailable.length > 0) await tx.cartItem.deleteMany({ where: { userId, productId: { in: [...unavailable] } } });
  await tx.cart.update({ where: { userId }, data: { updatedAt: new Date(), lastOrderId: orderId } });
  return { kind: "removed" };
}

/** Creates the cart row when missing and locks it for the rest of the transaction. */
async function lockCart(tx: Prisma.TransactionClient, userId: string): Promise<StoredCart> {
  await tx.$executeRaw`INSERT INTO "Cart" ("userId", "updatedAt") VALUES (${userId}, now()) ON CONFLICT ("userId") DO NOTHING`;
  await tx.$queryRaw`SELECT 1 FROM "Cart" WHERE "userId" = ${userId} FOR UPDATE`;
  return readCart(tx, userId);
}

/**
 * The lines first, then the cart row, each a statement of its own (a Prisma `include` is two
 * queries too, in the other order): a checkout that commits in between empties the lines and
 * names its order on the row in one transaction, so lines read empty always come with the
 * order that took them.
 */
async function readCart(db: Db, userId: string): Promise<StoredCart> {
  const items = await db.cartItem.findMany({ where: { userId }, orderBy: [{ addedAt: "asc" }, { productId: "asc" }] });
  const row = await db.cart.findUnique({ where: { userId }, select: { updatedAt: true, lastOrderId: true } });
  if (!row) return { userId, updatedAt: null, lastOrderId: null, lines: [] };
  return {
    userId,
    updatedAt: row.updatedAt,
    lastOrderId: row.lastOrderId,
    lines: items.map(
      (item): CartLine => ({ productId: item.productId, quantity: item.quantity, accepted: { amount: item.unitAmount, currency: item.currency } as Money, addedAt: item.addedAt }),
    ),
  };
}
