import { Prisma, queryDirect, type PrismaClient } from "#kernel/relational";

/**
 * The payment tables are hash-partitioned by customer like the orders, so a statement naming a
 * payment by its order alone would probe every partition (every server, with partitions on
 * several). The orders' "OrderLocator" (order id -> customer, one index read, on the
 * coordinator) names the customer first; the payment statement then binds it and is planned
 * for one partition. An order id that is not live finds no customer, and no payment partition
 * is read at all.
 */
export async function customerOfOrder(prisma: PrismaClient, orderId: string): Promise<string | null> {
  const [row] = await queryDirect<{ userId: string }>(prisma, Prisma.sql`SELECT "userId" FROM "OrderLocator" WHERE id = ${orderId}`);
  return row?.userId ?? null;
}

/** The customers of these orders, to bind as `"userId" = ANY(...)`: pruned when planned. */
export async function customersOfOrders(prisma: PrismaClient, orderIds: readonly string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await queryDirect<{ userId: string }>(prisma, Prisma.sql`SELECT DISTINCT "userId" FROM "OrderLocator" WHERE id = ANY(${[...orderIds]}::text[])`);
  return rows.map((row) => row.userId);
}

/**
 * Whether the customer cancelled the payment's order. Read, like the locator, from the orders'
 * own table in the database both share: the payment is not told of a cancel, and a charge sent
 * after it would take money only to give it back.
 */
export async function orderWasCancelled(prisma: PrismaClient, payment: { orderId: string; userId: string }): Promise<boolean> {
  const [row] = await queryDirect<{ status: string }>(prisma, Prisma.sql`SELECT status FROM "Order" WHERE id = ${payment.orderId} AND "userId" = ${payment.userId}`);
  return row?.status === "CANCELLED";
}
