// Where the catalog's pages are while the scale benchmark reads it. FerretDB keeps each MongoDB
// database as a schema of the `ferretdb` database on the PostgreSQL it runs on (see
// scripts/services.sh), so the PostgreSQL of DATABASE_URL tells how much of a size's catalog
// had to come from outside its buffers, and can read it into memory beforehand.
import pg from "pg";

export interface CatalogPages {
  /** Bytes of the size's tables and indexes read into memory. */
  bytes: number;
  seconds: number;
}

function documentEngineBackend(): string | undefined {
  const url = process.env.FERRETDB_POSTGRES_URL ?? process.env.DATABASE_URL;
  if (!url || !process.env.MONGO_URL?.includes("127.0.0.1:27017")) return undefined;
  const backend = new URL(url);
  backend.pathname = "/ferretdb";
  return backend.toString();
}

async function withBackend<T>(work: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
  const url = documentEngineBackend();
  if (!url) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Reads every table and index of the size's schema through the operating system's page cache
 * (`pg_prewarm` in `read` mode), as they stay in a store that serves its catalog all day. A
 * catalog read cold at random costs a disk read per page (2-8 ms each on this machine's disk,
 * two or three pages per product), which is the disk's figure, not the design's.
 */
export async function catalogPagesInMemory(schema: string): Promise<CatalogPages | undefined> {
  return withBackend(async (client) => {
    const startedAt = performance.now();
    await client.query("CREATE EXTENSION IF NOT EXISTS pg_prewarm");
    const { rows } = await client.query<{ relation: string; bytes: string }>(
      `SELECT c.oid::regclass::text AS relation, pg_relation_size(c.oid) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'i', 't')`,
      [schema],
    );
    for (const { relation } of rows) await client.query("SELECT pg_prewarm($1::regclass, 'read')", [relation]);
    return { bytes: rows.reduce((sum, row) => sum + Number(row.bytes), 0), seconds: Number(((performance.now() - startedAt) / 1000).toFixed(1)) };
  });
}

/** Pages of a schema's tables and indexes read from outside PostgreSQL's buffers, counted on one connection. */
export interface PageReads {
  /**
   * The count so far (the page cache or the disk). The server publishes its counters about a
   * second late, so a window's difference is close, not exact.
   */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Undefined when the document engine is not FerretDB on the PostgreSQL of DATABASE_URL. */
export async function openPageReads(schema: string): Promise<PageReads | undefined> {
  const url = documentEngineBackend();
  if (!url) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async count() {
      const { rows } = await client.query<{ reads: string }>(
        `SELECT coalesce(sum(coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0)), 0) AS reads
           FROM pg_statio_user_tables WHERE schemaname = $1`,
        [schema],
      );
      return Number(rows[0]!.reads);
    },
    close: () => client.end(),
  };
}
