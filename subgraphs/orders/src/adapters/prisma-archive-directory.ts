import { Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import type { ArchiveDirectory, ArchivedOrderEntry } from "../ports/order-archive.js";

type EntryRow = { id: string; userId: string; createdAt: Date; objectKey: string };

/** The archive directory in PostgreSQL: ArchivedOrder rows joined to their batch's file. */
export function createPrismaArchiveDirectory(prisma: PrismaClient): ArchiveDirectory {
  return {
    async find(ids) {
      if (ids.length === 0) return new Map();
      const rows = await queryDirect<EntryRow>(
        prisma,
        Prisma.sql`SELECT a.id, a."userId", a."createdAt", b."objectKey" FROM "ArchivedOrder" a JOIN "OrderArchiveBatch" b ON b.id = a."batchId" WHERE a.id = ANY(${[...ids]}::text[])`,
      );
      return new Map(rows.map((row) => [row.id, row]));
    },

    async listByUser(userId, first, after): Promise<ArchivedOrderEntry[]> {
      const position = after ? Prisma.sql`AND (a."createdAt", a.id) < (${new Date(after.createdAt)}::timestamp(3), ${after.id})` : Prisma.empty;
      return queryDirect<EntryRow>(
        prisma,
        Prisma.sql`SELECT a.id, a."userId", a."createdAt", b."objectKey" FROM "ArchivedOrder" a JOIN "OrderArchiveBatch" b ON b.id = a."batchId"
          WHERE a."userId" = ${userId} ${position} ORDER BY a."createdAt" DESC, a.id DESC LIMIT ${first}`,
      );
    },

    async countByUser(userId) {
      const [row] = await queryDirect<{ count: bigint | number }>(prisma, Prisma.sql`SELECT count(*) AS count FROM "ArchivedOrder" WHERE "userId" = ${userId}`);
      return Number(row!.count);
    },
  };
}
