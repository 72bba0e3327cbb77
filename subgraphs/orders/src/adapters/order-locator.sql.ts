import { Prisma, type PrismaClient } from "#kernel/relational";

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * The live order tables are hash-partitioned by customer, so a statement that names the order
 * but not its customer would probe every partition (and, with partitions on other servers,
 * every server). These resolve the customer through "OrderLocator" (id -> customer, one index
 * read) so each statement reads one partition.
 */

/**
 * The customer of one order, as a scalar subquery: PostgreSQL runs it first and prunes the
 * partitions at run time, so `"userId" = ${customerOf(id)}` reads one partition, or none for an
 * id that is not live.
 */
export const customerOf = (orderId: string) => Prisma.sql`(SELECT l."userId" FROM "OrderLocator" l WHERE l.id = ${orderId})`;

/**
 * The customers of these orders. A query then given `"userId" = ANY(customers)` as bound values
 * is pruned when planned, to the partitions of those customers only (a run-time array is not).
 */
export async function customersOf(db: Db, orderIds: readonly string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db.$queryRaw<{ userId: string }[]>`SELECT DISTINCT "userId" FROM "OrderLocator" WHERE id = ANY(${[...orderIds]}::text[])`;
  return rows.map((row) => row.userId);
}
