// `create <name>`: the next migration, from the difference between the migrations folder and
// schema.prisma. Never applies it, and never touches the database in DATABASE_URL: the work
// happens in two temporary databases on the same server, dropped afterwards.
//
// Why a "replay" database: the engine's createMigration() cannot replay the migrations by
// itself (it has no shadow database factory). It reads their schema from a cache that
// devDiagnostic() fills, on a shadow database, for the migrations *applied to the engine's
// database*; createMigration() looks it up under *all* migrations of the folder. So it only
// works on a database that has every migration applied, otherwise: "PostgreSQL shadow DB must
// be provided through an external factory". We bring a fresh database up to date and run
// devDiagnostic() + createMigration() on it.
import { ensureDatabaseExists, parseDatabaseUrl, withTemporaryDatabase } from "../connection.js";
import { type MigrateContext, displayPath } from "../context.js";
import { listMigrations, writeMigration } from "../migrations-dir.js";
import { NO_EXTERNAL_OBJECTS, withMigrationEngine } from "../schema-engine.js";
import { loadSchema } from "../schema-files.js";

export const REPLAY_DATABASE_PREFIX = "prisma_migrate_replay_db_";

export interface CreateOptions {
  /** Write a migration even when there is no schema change (for hand-written SQL). */
  empty?: boolean;
}

export interface CreateResult {
  exitCode: number;
  /** Folder name of the new migration, when one was written. */
  migrationName?: string;
}

/** Migration names become folder names: lower case letters, digits and underscores. */
export function normalizeMigrationName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

export async function createCommand(ctx: MigrateContext, rawName: string, options: CreateOptions = {}): Promise<CreateResult> {
  const name = normalizeMigrationName(rawName);
  if (!name) {
    ctx.err("A migration name is required, e.g. create add_order_notes");
    return { exitCode: 2 };
  }
  const schema = await loadSchema(ctx.schemaPath);
  const migrationsList = await listMigrations(ctx.migrationsDir);
  // The temporary databases are created through a connection to the main database.
  await ensureDatabaseExists(parseDatabaseUrl(ctx.databaseUrl));

  const migration = await withTemporaryDatabase(ctx.databaseUrl, REPLAY_DATABASE_PREFIX, (replayUrl) =>
    withMigrationEngine({ databaseUrl: replayUrl, schema }, async (engine) => {
      await engine.applyMigrations({ migrationsList, filters: NO_EXTERNAL_OBJECTS });
      const { migration: created } = await engine.createMigration({
        draft: options.empty === true,
        migrationName: name,
        migrationsList,
        schema,
        filters: NO_EXTERNAL_OBJECTS,
      });
      return created;
    }),
  );

  if (migration.migrationScript === null) {
    ctx.out(`No changes: ${displayPath(ctx.schemaPath)} matches the migrations in ${displayPath(ctx.migrationsDir)}.`);
    return { exitCode: 0 };
  }
  const directory = await writeMigration(
    ctx.migrationsDir,
    migration.generatedMigrationName,
    migration.migrationScript,
    migration.connectorType,
  );
  ctx.out(`Created ${displayPath(directory)}/migration.sql`);
  ctx.out("Review it, then apply it with: npm run db:migrate:deploy");
  return { exitCode: 0, migrationName: migration.generatedMigrationName };
}
