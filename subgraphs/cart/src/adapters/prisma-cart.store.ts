import { productIdOfVariant, type Money } from "#kernel";
import { Prisma, queryDirect, queryDirectTogether, type PrismaClient } from "#kernel/relational";
import type { CartLine, StoredCart } from "../domain/cart.js";
import type { CartStore } from "../ports/cart-store.js";
import { isGuestOwner } from "../domain/cart-owner.js";
import { CART_MUTATION_KEY_TTL_MS, CART_MUTATION_KEYS_KEPT, isRepeat, type CartMutationKey } from "../domain/cart-mutation-key.js";
import { createCartWriteTurns } from "./cart-write-turns.js";

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Carts in PostgreSQL: a `Cart` row per user (the lock) and a `CartItem` row per line (per
 * variant). A cart's writes take their turn in the process before they take a connection (see
 * cart-write-turns.ts); a merge, which locks two carts, waits on the rows alone.
 */
export function createPrismaCartStore(prisma: PrismaClient): CartStore {
  const inTurn = createCartWriteTurns();
  return {
    find: (userId) => readCartAtOnce(prisma, userId),

    changeLine: (userId, variantId, decide, key) =>
      inTurn(userId, () =>
        prisma.$transaction(async (tx) => {
          const cart = await lockCart(tx, userId);
          if (key && (await repeated(tx, userId, key))) return cart;
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
          if (key) await recordKey(tx, userId, key);
          return readCart(tx, userId);
        }),
      ),

    recordedKey: async (userId, key) => liveFingerprint(await prisma.cartMutationKey.findUnique({ where: { userId_key: { userId, key } }, select: { fingerprint: true, createdAt: true } })),

    putLines: (userId, decide, putBackOf) =>
      inTurn(userId, () =>
        prisma.$transaction(async (tx) => {
          const cart = await lockCart(tx, userId);
          const putBackBefore = putBackOf !== undefined && (await tx.cartOrderPutBack.findUnique({ where: { userId_orderId: { userId, orderId: putBackOf } }, select: { orderId: true } })) !== null;
          const decision = decide(cart, putBackBefore);
          await writeLines(tx, userId, decision.lines);
          if (decision.lines.length > 0) await tx.cart.update({ where: { userId }, data: customerChange() });
          if (putBackOf !== undefined && !putBackBefore && decision.lines.length > 0) await tx.cartOrderPutBack.create({ data: { userId, orderId: putBackOf } });
          return { decision, cart: await readCart(tx, userId) };
        }),
      ),

    acceptPrices: (userId, prices, allow, key) =>
      inTurn(userId, () =>
        prisma.$transaction(async (tx) => {
          const cart = await lockCart(tx, userId);
          if (key && (await repeated(tx, userId, key))) return cart;
          allow?.(cart);
          for (const [variantId, price] of prices) {
            await tx.cartItem.updateMany({ where: { userId, variantId }, data: { unitAmount: price.amount, currency: price.currency } });
          }
          await tx.cart.update({ where: { userId }, data: customerChange() });
          if (key) await recordKey(tx, userId, key);
          return readCart(tx, userId);
        }),
      ),

    setCoupon: (userId, code, allow, key) =>
      inTurn(userId, () =>
        prisma.$transaction(async (tx) => {
          const cart = await lockCart(tx, userId);
          if (key && (await repeated(tx, userId, key))) return cart;
          allow(cart);
          // The coupon it holds already: nothing changes, not even the change time.
          const held = code === null ? { couponCode: { not: null } } : { OR: [{ couponCode: null }, { couponCode: { not: code } }] };
          await tx.cart.updateMany({ where: { userId, ...held }, data: { couponCode: code, updatedAt: new Date() } });
          if (key) await recordKey(tx, userId, key);
          return readCart(tx, userId);
        }),
      ),

    mergeGuestCart: (guestOwner, customerOwner, plan) =>
      prisma.$transaction(async (tx) => {
        // No row, no merge: a merge that waited on this lock behind another one finds the
        // row deleted by it, and writes nothing.
        const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Cart" WHERE "userId" = ${guestOwner} AND "guest" FOR UPDATE`;
        if (locked.length === 0) return null;
        const guest = await readCart(tx, guestOwner);
        const customer = await lockCart(tx, customerOwner);
        const decided = plan(guest, customer);
        await writeLines(tx, customerOwner, decided.lines);
        if (decided.lines.length > 0) await tx.cart.update({ where: { userId: customerOwner }, data: customerChange() });
        // The customer's coupon wins; the guest's comes along only to a cart without one
        // (checkout judges it again, per-customer limits included).
        await tx.$executeRaw`UPDATE "Cart" c SET "couponCode" = g."couponCode" FROM "Cart" g
          WHERE c."userId" = ${customerOwner} AND g."userId" = ${guestOwner} AND c."couponCode" IS NULL AND g."couponCode" IS NOT NULL`;
        // The guest's change keys come along: an add whose answer was lost before the sign-in,
        // sent again after it (now on the customer's cart), is the change the merge brought.
        await tx.$executeRaw`INSERT INTO "CartMutationKey" ("userId", "key", "fingerprint", "createdAt")
          SELECT ${customerOwner}, "key", "fingerprint", "createdAt" FROM "CartMutationKey" WHERE "userId" = ${guestOwner}
          ON CONFLICT ("userId", "key") DO NOTHING`;
        await keepNewestKeys(tx, customerOwner);
        await tx.cart.delete({ where: { userId: guestOwner } });
        return { plan: decided, cart: await readCart(tx, customerOwner) };
      }),

    async deleteIdleGuestCarts(before, limit) {
      // SKIP LOCKED: a guest cart being changed or merged right now is not idle; the next
      // sweep judges it again by its new updatedAt.
      return prisma.$executeRaw`
        DELETE FROM "Cart" WHERE "userId" IN (
          SELECT "userId" FROM "Cart" WHERE "guest" AND "updatedAt" < ${before}
          ORDER BY "updatedAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
    },
  };
}

/** Writes each line over its variant's line in the owner's cart, or as a new line (keeping the given addedAt). */
async function writeLines(tx: Prisma.TransactionClient, userId: string, lines: readonly CartLine[]): Promise<void> {
  for (const line of lines) {
    const data = { quantity: line.quantity, unitAmount: line.accepted.amount, currency: line.accepted.currency };
    await tx.cartItem.upsert({
      where: { userId_variantId: { userId, variantId: line.variantId } },
      create: { userId, variantId: line.variantId, productId: line.productId, ...data, addedAt: line.addedAt },
      update: data,
    });
  }
}

/**
 * Whether the cart (locked by the caller) recorded this key already for the same request; a
 * key recorded for another request is IDEMPOTENCY_CONFLICT. A repeat writes nothing at all,
 * not even the cart's change time: the last order's name on the cart stays.
 */
async function repeated(tx: Prisma.TransactionClient, userId: string, key: CartMutationKey): Promise<boolean> {
  const recorded = await tx.cartMutationKey.findUnique({ where: { userId_key: { userId, key: key.key } }, select: { fingerprint: true, createdAt: true } });
  return isRepeat(key, liveFingerprint(recorded));
}

/**
 * A recorded key's fingerprint within its day. One past it is forgotten whether or not a
 * change since pruned it (the prune runs with the next keyed change): the key is judged the
 * same way at any time, and recordKey's prune makes room for its new record.
 */
function liveFingerprint(recorded: { fingerprint: string; createdAt: Date } | null): string | undefined {
  if (!recorded || recorded.createdAt.getTime() < Date.now() - CART_MUTATION_KEY_TTL_MS) return undefined;
  return recorded.fingerprint;
}

/**
 * Records a key with its change, and prunes this cart's keys past their time or past its
 * newest CART_MUTATION_KEYS_KEPT (one index range of the cart's keys, at most that many and one).
 */
async function recordKey(tx: Prisma.TransactionClient, userId: string, key: CartMutationKey): Promise<void> {
  const now = new Date();
  await tx.cartMutationKey.deleteMany({ where: { userId, createdAt: { lt: new Date(now.getTime() - CART_MUTATION_KEY_TTL_MS) } } });
  await tx.cartMutationKey.create({ data: { userId, key: key.key, fingerprint: key.fingerprint, createdAt: now } });
  await keepNewestKeys(tx, userId);
}

/** Deletes the cart's keys older than its newest CART_MUTATION_KEYS_KEPT (the cart is locked by the caller). */
async function keepNewestKeys(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  await tx.$executeRaw`DELETE FROM "CartMutationKey" WHERE "userId" = ${userId} AND "key" IN (
    SELECT "key" FROM "CartMutationKey" WHERE "userId" = ${userId} ORDER BY "createdAt" DESC, "key" DESC OFFSET ${CART_MUTATION_KEYS_KEPT})`;
}

/** A change by the customer: the cart is no longer what the last order left of it. */
const customerChange = () => ({ updatedAt: new Date(), lastOrderId: null });

/**
 * Creates the cart row when missing and locks it for the rest of the transaction, in one
 * statement: the no-op update takes the row lock, and a row the guest sweep deletes meanwhile
 * is inserted again rather than found missing.
 */
async function lockCart(tx: Prisma.TransactionClient, userId: string): Promise<StoredCart> {
  await tx.$executeRaw`INSERT INTO "Cart" ("userId", "updatedAt", "guest") VALUES (${userId}, now(), ${isGuestOwner(userId)})
    ON CONFLICT ("userId") DO UPDATE SET "userId" = EXCLUDED."userId"`;
  return readCart(tx, userId);
}

/**
 * The cart row and its lines in one statement, straight on the pool: one snapshot, one round
 * trip (the cart page and every checkout read it; a flash sale's losers are refused on it).
 * Times come as epoch milliseconds: the columns have no time zone, and Prisma's are UTC.
 */
async function readCartAtOnce(prisma: PrismaClient, userId: string): Promise<StoredCart> {
  const [row] = await queryDirect<StoredCartRow>(prisma, storedCartStatement(userId));
  return storedCartOf(userId, row);
}

/**
 * The stored cart and the rows of more read statements of the caller's, sent after it in the
 * same round trip (see queryDirectTogether), each its own rows in the order given: the cart is
 * read first, as `find` reads it.
 */
export async function readCartAlong(prisma: PrismaClient, userId: string, alongside: readonly Prisma.Sql[]): Promise<{ cart: StoredCart; alongside: unknown[][] }> {
  const [cartRows, ...rows] = await queryDirectTogether(prisma, [storedCartStatement(userId), ...alongside]);
  return { cart: storedCartOf(userId, cartRows![0] as StoredCartRow | undefined), alongside: rows };
}

type StoredCartRow = { updated_at: string; last_order_id: string | null; items: { variantId: string; productId: string; quantity: number; unitAmount: number; currency: string; addedAt: number }[] };

const storedCartStatement = (userId: string) => Prisma.sql`
      SELECT (extract(epoch FROM c."updatedAt") * 1000)::bigint AS updated_at, c."lastOrderId" AS last_order_id,
        coalesce((
          SELECT json_agg(json_build_object('variantId', i."variantId", 'productId', i."productId", 'quantity', i.quantity, 'unitAmount', i."unitAmount",
                   'currency', i.currency, 'addedAt', (extract(epoch FROM i."addedAt") * 1000)::bigint) ORDER BY i."addedAt", i."variantId")
          FROM "CartItem" i WHERE i."userId" = c."userId"), '[]'::json) AS items
      FROM "Cart" c WHERE c."userId" = ${userId}::text`;

function storedCartOf(userId: string, row: StoredCartRow | undefined): StoredCart {
  if (!row) return { userId, updatedAt: null, lastOrderId: null, lines: [] };
  return {
    userId,
    updatedAt: new Date(Number(row.updated_at)),
    lastOrderId: row.last_order_id,
    lines: row.items.map((item) => cartLine({ ...item, addedAt: new Date(item.addedAt) })),
  };
}

/**
 * Inside a transaction: the lines first, then the cart row, each a statement of its own (a
 * Prisma `include` is two queries too, in the other order): a checkout that commits in between
 * empties the lines and names its order on the row in one transaction, so lines read empty
 * always come with the order that took them.
 */
async function readCart(db: Db, userId: string): Promise<StoredCart> {
  const items = await db.cartItem.findMany({ where: { userId }, orderBy: [{ addedAt: "asc" }, { variantId: "asc" }] });
  const row = await db.cart.findUnique({ where: { userId }, select: { updatedAt: true, lastOrderId: true } });
  if (!row) return { userId, updatedAt: null, lastOrderId: null, lines: [] };
  return {
    userId,
    updatedAt: row.updatedAt,
    lastOrderId: row.lastOrderId,
    lines: items.map(cartLine),
  };
}

/** A stored line from its row (its columns, whichever way they were read). */
function cartLine(item: { variantId: string; productId: string; quantity: number; unitAmount: number; currency: string; addedAt: Date }): CartLine {
  return { variantId: item.variantId, productId: item.productId, quantity: item.quantity, accepted: { amount: item.unitAmount, currency: item.currency } as Money, addedAt: item.addedAt };
}
