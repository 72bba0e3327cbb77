import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations } from "../../../../scripts/migrate/apply-migrations.js";
import { DEFAULT_MIGRATIONS_DIR } from "../../../../scripts/migrate/paths.js";

/**
 * A fresh database migrated up to (not including) `migration`, for writing data in the shape
 * it had before; `migrate` then applies the chosen later migrations, as a deployment would.
 */
export async function databaseBeforeMigration(adminUrl: string, migration: string) {
  const name = `migrate_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const migrations = mkdtempSync(join(tmpdir(), "migration-test-"));
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const copy = (pick: (entry: string) => boolean) => {
    for (const entry of readdirSync(DEFAULT_MIGRATIONS_DIR)) if (pick(entry)) cpSync(join(DEFAULT_MIGRATIONS_DIR, entry), join(migrations, entry), { recursive: true });
  };
  const migrate = async (pick: (entry: string) => boolean) => {
    copy((entry) => entry !== "migration_lock.toml" && pick(entry));
    return (await applyMigrations(url.toString(), { migrationsDir: migrations })).applied;
  };
  copy((entry) => entry < migration || entry === "migration_lock.toml");
  await applyMigrations(url.toString(), { migrationsDir: migrations });
  return {
    url: url.toString(),
    migrate,
    async sql(text: string, values: unknown[] = []) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(migrations, { recursive: true, force: true });
    },
  };
}
