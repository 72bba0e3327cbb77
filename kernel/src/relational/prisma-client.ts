import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../../prisma/generated/client/client.js";

export type { PrismaClient } from "../../../prisma/generated/client/client.js";
export { Prisma } from "../../../prisma/generated/client/client.js";

/** One Prisma client over a pg pool; the pool is the only connection state a process holds. */
export function createPrismaClient(databaseUrl: string, { poolSize = 10 } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize });
  return new PrismaClient({ adapter });
}
