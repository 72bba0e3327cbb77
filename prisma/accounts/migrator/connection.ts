import * as mariadb from "mariadb";

/** The parts of a `mysql://user:password@host:port/database` URL the drivers need. */
export interface MysqlConnectionFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Accepts mysql:// (our variable) and mariadb:// URLs alike. */
export function parseMysqlUrl(url: string): MysqlConnectionFields {
  const parsed = new URL(url);
  if (parsed.protocol !== "mysql:" && parsed.protocol !== "mariadb:") throw new Error(`Not a MySQL URL: ${parsed.protocol}//...`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new Error("The MySQL URL names no database");
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** One short-lived connection; `multipleStatements` lets a migration file run as one query. */
export async function withMysqlConnection<T>(url: string, work: (connection: mariadb.Connection) => Promise<T>, { multipleStatements = false } = {}): Promise<T> {
  const connection = await mariadb.createConnection({ ...parseMysqlUrl(url), multipleStatements, connectTimeout: 5_000 });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}
