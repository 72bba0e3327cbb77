// Turns a PostgreSQL URL into separate pg connection fields.
//
// The fields are kept separate on purpose: @prisma/adapter-pg opens the shadow database by
// spreading its config and overriding `database`, and a `connectionString` in that config wins
// over `database`, so the "shadow" connection would silently go to the main database.
import { randomUUID } from "node:crypto";
import pg from "pg";

export interface PgConnectionFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Value of the `schema` URL parameter Prisma URLs may carry (default "public"). */
  schema: string;
  ssl?: pg.ConnectionConfig["ssl"];
}

export function parseDatabaseUrl(databaseUrl: string): PgConnectionFields {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/database)");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got "${url.protocol}//..."`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database) throw new Error("DATABASE_URL names no database (postgresql://.../<database>)");

  const params = url.searchParams;
  // libpq style `?host=/var/run/postgresql` selects a unix socket directory.
  const host = params.get("host") ?? (url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost");
  const sslmode = params.get("sslmode");
  let ssl: PgConnectionFields["ssl"];
  if (sslmode === "require" || sslmode === "prefer") ssl = { rejectUnauthorized: false };
  else if (sslmode === "verify-ca" || sslmode === "verify-full") ssl = true;

  return {
    host,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || "postgres",
    password: decodeURIComponent(url.password),
    database,
    schema: params.get("schema") ?? "public",
    ...(ssl === undefined ? {} : { ssl }),
  };
}

export function poolConfig(fields: PgConnectionFields, database = fields.database): pg.PoolConfig {
  return {
    host: fields.host,
    port: fields.port,
    user: fields.user,
    password: fields.password,
    database,
    ...(fields.ssl === undefined ? {} : { ssl: fields.ssl }),
    // One session, as the native engine uses: the engine takes Prisma's session-level advisory
    // lock and never unlocks it explicitly, so every statement must see the same session.
    max: 1,
    connectionTimeoutMillis: 10_000,
  };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs `fn` with a single short-lived client on `database` (default: the main database). */
export async function withClient<T>(
  fields: PgConnectionFields,
  fn: (client: pg.Client) => Promise<T>,
  database = fields.database,
): Promise<T> {
  const { max: _max, ...config } = poolConfig(fields, database);
  const client = new pg.Client(config);
  // An idle client whose server goes away emits 'error'; without a listener that kills the process.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const INVALID_CATALOG_NAME = "3D000";

/**
 * Creates the main database when it does not exist yet (as `prisma migrate deploy` does).
 * Returns true when it had to create it.
 */
export async function ensureDatabaseExists(fields: PgConnectionFields): Promise<boolean> {
  try {
    await withClient(fields, async () => undefined);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
  }
  await withClient(
    fields,
    async (client) => {
      try {
        await client.query(`CREATE DATABASE ${quoteIdentifier(fields.database)}`);
      } catch (error) {
        // Someone else created it in between.
        if ((error as { code?: string }).code !== "42P04") throw error;
      }
    },
    "postgres",
  );
  return true;
}

/** The same URL (credentials, parameters) pointing at another database of the server. */
export function urlForDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Creates a database, runs `fn` with its URL, then drops it (closing any session left on it). */
export async function withTemporaryDatabase<T>(
  databaseUrl: string,
  prefix: string,
  fn: (temporaryUrl: string) => Promise<T>,
): Promise<T> {
  const fields = parseDatabaseUrl(databaseUrl);
  const name = `${prefix}${randomUUID().replace(/-/g, "_")}`;
  await withClient(fields, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  try {
    return await fn(urlForDatabase(databaseUrl, name));
  } finally {
    await dropDatabase(fields, name);
  }
}

/** Drops `database` through a connection to the main database, closing its open sessions. */
export async function dropDatabase(fields: PgConnectionFields, database: string): Promise<void> {
  await withClient(fields, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`));
}

/** "host:port/database" for messages; never includes the password. */
export function describeDatabase(fields: PgConnectionFields): string {
  return `${fields.host}:${fields.port}/${fields.database}`;
}
