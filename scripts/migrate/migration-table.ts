// Reads Prisma's `_prisma_migrations` table directly with pg, to tell in one query whether the
// database already has exactly the migrations of the folder (so start-up can skip loading the
// WebAssembly engine). Any other state is left to the engine to judge and report.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { type PgConnectionFields, quoteIdentifier, withClient } from "./connection.js";
import { MIGRATION_FILE } from "./migrations-dir.js";

export const MIGRATIONS_TABLE = "_prisma_migrations";

export interface LocalMigration {
  name: string;
  /** sha256 of migration.sql in hex, as Prisma stores it in `checksum`. */
  checksum: string;
}

export async function readLocalMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return await Promise.all(
    names.map(async (name) => {
      const script = await readFile(path.join(migrationsDir, name, MIGRATION_FILE));
      return { name, checksum: createHash("sha256").update(script).digest("hex") };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished: boolean;
  rolled_back: boolean;
}

/**
 * True when every local migration is recorded as applied with the same checksum, no other
 * migration is recorded, and none is failed or half-applied. False in every other case,
 * including a missing database or table.
 */
export async function isUpToDate(fields: PgConnectionFields, local: LocalMigration[]): Promise<boolean> {
  let rows: AppliedRow[];
  try {
    rows = await withClient(fields, async (client) => {
      const table = `${quoteIdentifier(fields.schema)}.${quoteIdentifier(MIGRATIONS_TABLE)}`;
      const exists = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [table]);
      if (!exists.rows[0]?.found) return [];
      const result = await client.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM ${table}`,
      );
      return result.rows;
    });
  } catch (error) {
    if ((error as { code?: string }).code === "3D000") return false; // database does not exist yet
    throw error;
  }
  const live = rows.filter((row) => !row.rolled_back);
  if (live.some((row) => !row.finished)) return false;
  if (live.length !== local.length) return false;
  const applied = new Map(live.map((row) => [row.migration_name, row.checksum]));
  return local.every((migration) => applied.get(migration.name) === migration.checksum);
}

/** Names of migrations recorded as started but neither finished nor rolled back. */
export async function failedMigrations(fields: PgConnectionFields): Promise<string[]> {
  return await withClient(fields, async (client) => {
    const table = `${quoteIdentifier(fields.schema)}.${quoteIdentifier(MIGRATIONS_TABLE)}`;
    const exists = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [table]);
    if (!exists.rows[0]?.found) return [];
    const result = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM ${table} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at`,
    );
    return result.rows.map((row) => row.migration_name);
  });
}
