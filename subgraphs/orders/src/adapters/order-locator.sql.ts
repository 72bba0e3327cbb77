import { Prisma, queryDirect, type PrismaClient } from "#kernel/relational";

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
 * The customer of one order, read first so that the order's statement names it as a bound value
 * and is planned for one partition: planning all 16 (as the subquery form makes PostgreSQL do)
 * costs about a millisecond, more than the extra round trip.
 */
export async function customerOfOrder(prisma: PrismaClient, orderId: string): Promise<string | null> {
  const [row] = await queryDirect<{ userId: string }>(prisma, Prisma.sql`SELECT "userId" FROM "OrderLocator" WHERE id = ${orderId}`);
  return row?.userId ?? null;
}

/**
 * The customers of these orders. A query then given `"userId" = ANY(customers)` as bound values
 * is pruned when planned, to the partitions of those customers only (a run-time array is not).
 */
export async function customersOf(db: Db, orderIds: readonly string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db.$queryRaw<{ userId: string }[]>`SELECT DISTINCT "userId" FROM "OrderLocator" WHERE id = ANY(${[...orderIds]}::text[])`;
  return rows.map((row) => row.userId);
}
