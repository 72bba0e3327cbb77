// Programmatic `migrate deploy`, for start-up in embedded mode and for `db:migrate:deploy`.
//
// When the database already has every migration (the usual start-up), one query on
// `_prisma_migrations` says so and the WebAssembly engine is never loaded. Otherwise the engine
// applies the pending migrations, exactly as `prisma migrate deploy` would: same
// `_prisma_migrations` bookkeeping, same advisory lock against concurrent deploys, same refusal
// to continue past a failed migration.
import { ensureDatabaseExists, parseDatabaseUrl } from "./connection.js";
import { failedMigrations, isUpToDate, readLocalMigrations } from "./migration-table.js";
import { DEFAULT_MIGRATIONS_DIR } from "./paths.js";

export interface ApplyMigrationsOptions {
  /** Folder of migrations (default: prisma/migrations of this project). */
  migrationsDir?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  /** Migrations applied by this call, oldest first; empty when nothing was pending. */
  applied: string[];
  /** True when the one-query check found nothing pending and the engine was not loaded. */
  upToDateWithoutEngine: boolean;
  /** Whether the database had to be created first. */
  createdDatabase: boolean;
  durationMs: number;
}

export async function applyMigrations(
  databaseUrl: string,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const started = performance.now();
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const log = options.log ?? (() => undefined);
  const fields = parseDatabaseUrl(databaseUrl);

  const local = await readLocalMigrations(migrationsDir);
  if (await isUpToDate(fields, local)) {
    return { applied: [], upToDateWithoutEngine: true, createdDatabase: false, durationMs: performance.now() - started };
  }

  const createdDatabase = await ensureDatabaseExists(fields);
  if (createdDatabase) log(`created database ${fields.database}`);

  const [{ withMigrationEngine }, { listMigrations }] = await Promise.all([
    import("./schema-engine.js"),
    import("./migrations-dir.js"),
  ]);
  const migrationsList = await listMigrations(migrationsDir);
  let appliedMigrationNames: string[];
  try {
    ({ appliedMigrationNames } = await withMigrationEngine({ databaseUrl }, (engine) =>
      engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } }),
    ));
  } catch (error) {
    // The engine's message names the database error but not the migration: add it.
    const failed = await failedMigrations(fields).catch(() => []);
    if (failed.length > 0 && error instanceof Error && !error.message.includes("P3009")) {
      error.message = `migration ${failed.join(", ")} failed: ${error.message}\n(PostgreSQL ran it as one transaction, so unless it commits by itself nothing of it stayed: fix migration.sql, run npm run db:migrate:resolve -- --rolled-back ${failed[0]}, then deploy again)`;
    }
    throw error;
  }
  for (const name of appliedMigrationNames) log(`applied ${name}`);
  return {
    applied: appliedMigrationNames,
    upToDateWithoutEngine: false,
    createdDatabase,
    durationMs: performance.now() - started,
  };
}
