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
        await tx.cart.update({ where: { userId }, data: { updatedAt: new Date() } });
        return readCart(tx, userId);
      }),

    acceptPrices: (userId, prices) =>
      prisma.$transaction(async (tx) => {
        await lockCart(tx, userId);
        for (const [productId, price] of prices) {
          await tx.cartItem.updateMany({ where: { userId, productId }, data: { unitAmount: price.amount, currency: price.currency } });
        }
        await tx.cart.update({ where: { userId }, data: { updatedAt: new Date() } });
        return readCart(tx, userId);
      }),
  };
}

/**
 * Removes what an order took from the cart, inside the order's own transaction, so the cart
 * is emptied exactly when the order exists. Only lines still holding the ordered quantity
 * go: a line the customer changed while the checkout ran stays for a later order. Lines
 * of products that left the catalog go too (they were not ordered and cannot be).
 */
export async function removeOrderedLines(
  tx: Prisma.TransactionClient,
  userId: string,
  ordered: readonly { productId: string; quantity: number }[],
  unavailable: readonly string[],
): Promise<void> {
  await tx.cartItem.deleteMany({
    where: {
      userId,
      OR: [...ordered.map(({ productId, quantity }) => ({ productId, quantity })), ...(unavailable.length ? [{ productId: { in: [...unavailable] } }] : [])],
    },
  });
  await tx.cart.updateMany({ where: { userId }, data: { updatedAt: new Date() } });
}

/** Creates the cart row when missing and locks it for the rest of the transaction. */
async function lockCart(tx: Prisma.TransactionClient, userId: string): Promise<StoredCart> {
  await tx.$executeRaw`INSERT INTO "Cart" ("userId", "updatedAt") VALUES (${userId}, now()) ON CONFLICT ("userId") DO NOTHING`;
  await tx.$queryRaw`SELECT 1 FROM "Cart" WHERE "userId" = ${userId} FOR UPDATE`;
  return readCart(tx, userId);
}

async function readCart(db: Db, userId: string): Promise<StoredCart> {
  const row = await db.cart.findUnique({ where: { userId }, include: { items: { orderBy: [{ addedAt: "asc" }, { productId: "asc" }] } } });
  if (!row) return { userId, updatedAt: null, lines: [] };
  return {
    userId,
    updatedAt: row.updatedAt,
    lines: row.items.map(
      (item): CartLine => ({ productId: item.productId, quantity: item.quantity, accepted: { amount: item.unitAmount, currency: item.currency } as Money, addedAt: item.addedAt }),
    ),
  };
}
