import { randomUUID } from "node:crypto";
import { withDatabase, withMysqlConnection } from "../../../../prisma/accounts/migrator/connection.js";
import { deployMigrations } from "../../../../prisma/accounts/migrator/mysql-migrator.js";

/**
 * A fresh database on the MySQL server of `baseUrl` for one test file, migrated unless told
 * otherwise, so test files never share rows and can run in parallel.
 */
export async function createMysqlTestDatabase(baseUrl: string, { migrate = true } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `accounts_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await withMysqlConnection(baseUrl, (connection) => connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  const url = withDatabase(baseUrl, name);
  if (migrate) await deployMigrations(url);
  return {
    url,
    drop: () => withMysqlConnection(baseUrl, (connection) => connection.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => undefined),
  };
}
