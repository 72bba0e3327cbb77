import { randomUUID } from "node:crypto";
import pg from "pg";

/** A database of a bench's own on the real PostgreSQL, and how to drop it. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * An empty database on DATABASE_URL's server for a bench that measures statements one
 * connection at a time, so its figures are not those of a shared database's tables and
 * caches; `drop` removes it whatever the bench left connected to it.
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('DATABASE_URL names no PostgreSQL: eval "$(scripts/services.sh env)" first');
  const name = `bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: Object.assign(new URL(server), { pathname: `/${name}` }).toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
