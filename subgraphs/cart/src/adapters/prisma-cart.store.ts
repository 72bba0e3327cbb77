import { productIdOfVariant, type Money } from "#kernel";
import type { Prisma, PrismaClient } from "#kernel/relational";
import type { CartLine, StoredCart } from "../domain/cart.js";
import type { CartStore } from "../ports/cart-store.js";

type Db = PrismaClient | Prisma.TransactionClient;

/** Carts in PostgreSQL: a `Cart` row per user (the lock) and a `CartItem` row per line (per variant). */
export function createPrismaCartStore(prisma: PrismaClient): CartStore {
  return {
    find: (userId) => readCart(prisma, userId),

    changeLine: (userId, variantId, decide) =>
      prisma.$transaction(async (tx) => {
        const cart = await lockCart(tx, userId);
        const current = cart.lines.find((line) => line.variantId === variantId);
        const next = decide(current, cart);
        if (next === null) {
          if (current) await tx.cartItem.delete({ where: { userId_variantId: { userId, variantId } } });
        } else {
          const data = { quantity: next.quantity, unitAmount: next.accepted.amount, currency: next.accepted.currency };
          await tx.cartItem.upsert({
            where: { userId_variantId: { userId, variantId } },
            create: { userId, variantId, productId: productIdOfVariant(variantId), ...data, addedAt: next.addedAt },
            update: data,
          });
        }
        await tx.cart.update({ where: { userId }, data: customerChange() });
        return readCart(tx, userId);
      }),

    acceptPrices: (userId, prices) =>
      prisma.$transaction(async (tx) => {
        await lockCart(tx, userId);
        for (const [variantId, price] of prices) {
          await tx.cartItem.updateMany({ where: { userId, variantId }, data: { unitAmount: price.amount, currency: price.currency } });
        }
        await tx.cart.update({ where: { userId }, data: customerChange() });
        return readCart(tx, userId);
      }),
  };
}

/** A change by the customer: the cart is no longer what the last order left of it. */
const customerChange = () => ({ updatedAt: new Date(), lastOrderId: null });

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
  const items = await db.cartItem.findMany({ where: { userId }, orderBy: [{ addedAt: "asc" }, { variantId: "asc" }] });
  const row = await db.cart.findUnique({ where: { userId }, select: { updatedAt: true, lastOrderId: true } });
  if (!row) return { userId, updatedAt: null, lastOrderId: null, lines: [] };
  return {
    userId,
    updatedAt: row.updatedAt,
    lastOrderId: row.lastOrderId,
    lines: items.map(
      (item): CartLine => ({ variantId: item.variantId, productId: item.productId, quantity: item.quantity, accepted: { amount: item.unitAmount, currency: item.currency } as Money, addedAt: item.addedAt }),
    ),
  };
}
