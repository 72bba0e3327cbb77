import { randomUUID } from "node:crypto";
import { withDatabase, withMysqlConnection } from "../../../../prisma/accounts/migrator/connection.js";
import { deployMigrations } from "../../../../prisma/accounts/migrator/mysql-migrator.js";

/**
 * A fresh database on the MySQL server of `baseUrl` for one test file, migrated unless told
 * otherwise, so test files never share rows and can run in parallel.
 */
export async function createMysqlTestDatabase(baseUrl: string, { migrate = true } = {}): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `accounts_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await withMysqlConnection(baseUrl, (connection) => connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  const url = withDatabase(baseUrl, name);
  if (migrate) await deployMigrations(url);
  return {
    name,
    url,
    drop: () => withMysqlConnection(baseUrl, (connection) => connection.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => undefined),
  };
}

/**
 * True while a connection to `database` other than this probe's has a statement under way.
 * A store's connection paused between two statements of a transaction runs none, so a
 * statement seen here is one the paused transaction's locks hold back (a test cannot read
 * InnoDB's lock waits without the PROCESS privilege; the process list of its own user it can).
 */
export async function statementRunningElsewhere(baseUrl: string, database: string): Promise<boolean> {
  const rows = (await withMysqlConnection(baseUrl, (connection) =>
    connection.query("SELECT COUNT(*) AS running FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO IS NOT NULL", [database]),
  )) as { running: bigint | number }[];
  return Number(rows[0]?.running ?? 0) > 0;
}
