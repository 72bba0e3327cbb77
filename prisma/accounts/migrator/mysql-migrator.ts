import { createHash } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Connection } from "mariadb";
import { withMysqlConnection } from "./connection.js";

/**
 * Hand-written SQL migrations for the accounts database (MySQL / MariaDB), applied in name
 * order and recorded in `_accounts_migrations`. Prisma's migration engine is not available
 * offline for MySQL, so this small runner stands in for `prisma migrate deploy`.
 *
 * MySQL commits every DDL statement on its own, so a migration cannot be rolled back: a row
 * is written before a migration runs and marked finished after it, and a migration that
 * failed half way blocks later deploys until someone repairs the database by hand.
 */
export const MIGRATIONS_TABLE = "_accounts_migrations";
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "migrations");

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied, but the file changed since: the database may not match the file any more. */
  changed: string[];
  /** Started and never finished. */
  failed: string[];
  /** Recorded in the database, absent from the folder (a newer code version ran?). */
  unknown: string[];
}

export class MigrationError extends Error {}

export function readMigrationFiles(dir = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

interface AppliedRow {
  name: string;
  checksum: string;
  finished_at: Date | null;
}

async function ensureTable(connection: Connection): Promise<void> {
  await connection.query(
    `CREATE TABLE IF NOT EXISTS \`${MIGRATIONS_TABLE}\` (
       name VARCHAR(255) NOT NULL PRIMARY KEY,
       checksum CHAR(64) NOT NULL,
       started_at DATETIME(3) NOT NULL,
       finished_at DATETIME(3) NULL
     ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
}

function compare(files: MigrationFile[], rows: AppliedRow[]): MigrationStatus {
  const byName = new Map(rows.map((row) => [row.name, row]));
  const fileNames = new Set(files.map((file) => file.name));
  return {
    applied: files.filter((f) => byName.get(f.name)?.finished_at).map((f) => f.name),
    pending: files.filter((f) => !byName.has(f.name)).map((f) => f.name),
    changed: files.filter((f) => byName.get(f.name)?.finished_at && byName.get(f.name)!.checksum !== f.checksum).map((f) => f.name),
    failed: rows.filter((row) => !row.finished_at).map((row) => row.name),
    unknown: rows.filter((row) => !fileNames.has(row.name)).map((row) => row.name),
  };
}

export async function migrationStatus(url: string, dir = MIGRATIONS_DIR): Promise<MigrationStatus> {
  return withMysqlConnection(url, async (connection) => {
    await ensureTable(connection);
    const rows: AppliedRow[] = await connection.query(`SELECT name, checksum, finished_at FROM \`${MIGRATIONS_TABLE}\``);
    return compare(readMigrationFiles(dir), rows);
  });
}

/**
 * Applies every pending migration. Safe to run from several processes at once: a named
 * server lock serialises them, and the second finds nothing pending.
 */
export async function deployMigrations(url: string, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  return withMysqlConnection(
    url,
    async (connection) => {
      const [lock] = (await connection.query("SELECT GET_LOCK('accounts_migrations', 60) AS locked")) as { locked: number | bigint | null }[];
      if (Number(lock?.locked) !== 1) throw new MigrationError("Another process holds the accounts migration lock");
      try {
        await ensureTable(connection);
        const files = readMigrationFiles(dir);
        const rows: AppliedRow[] = await connection.query(`SELECT name, checksum, finished_at FROM \`${MIGRATIONS_TABLE}\``);
        const status = compare(files, rows);
        if (status.failed.length) {
          throw new MigrationError(`Migration ${status.failed.join(", ")} failed half way: repair the database by hand, then delete its row from ${MIGRATIONS_TABLE}`);
        }
        if (status.changed.length) throw new MigrationError(`Applied migrations were edited afterwards: ${status.changed.join(", ")}. Add a new migration instead.`);
        const applied: string[] = [];
        for (const file of files.filter((f) => status.pending.includes(f.name))) {
          await connection.query(`INSERT INTO \`${MIGRATIONS_TABLE}\` (name, checksum, started_at) VALUES (?, ?, NOW(3))`, [file.name, file.checksum]);
          try {
            await connection.query(file.sql);
          } catch (error) {
            throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`);
          }
          await connection.query(`UPDATE \`${MIGRATIONS_TABLE}\` SET finished_at = NOW(3) WHERE name = ?`, [file.name]);
          applied.push(file.name);
        }
        return { applied };
      } finally {
        await connection.query("SELECT RELEASE_LOCK('accounts_migrations')");
      }
    },
    { multipleStatements: true },
  );
}
