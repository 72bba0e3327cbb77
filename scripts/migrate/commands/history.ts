// The state of the migration history of a database compared to the migrations folder, in
// words. Shared by `status` and `check`.
import type { PgConnectionFields } from "../connection.js";
import { withClient } from "../connection.js";
import type { DiagnoseMigrationHistoryOutput, MigrationEngine, MigrationList } from "../schema-engine.js";
import { NO_EXTERNAL_OBJECTS } from "../schema-engine.js";

export interface HistoryReport {
  /** Every migration of the folder is applied, and nothing else is recorded or failed. */
  upToDate: boolean;
  /** One line per problem, each saying what to do. */
  problems: string[];
  /** Migrations of the folder not applied to the database yet. */
  pending: string[];
}

export async function databaseExists(fields: PgConnectionFields): Promise<boolean> {
  try {
    await withClient(fields, async () => undefined);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "3D000") return false;
    throw error;
  }
}

export async function diagnoseHistory(engine: MigrationEngine, migrationsList: MigrationList): Promise<HistoryReport> {
  const diagnosis = await engine.diagnoseMigrationHistory({
    migrationsList,
    optInToShadowDatabase: false,
    filters: NO_EXTERNAL_OBJECTS,
  });
  return describeHistory(diagnosis, migrationsList);
}

export function describeHistory(diagnosis: DiagnoseMigrationHistoryOutput, migrationsList: MigrationList): HistoryReport {
  const problems: string[] = [];
  let pending: string[] = [];
  const history = diagnosis.history;
  if (!diagnosis.hasMigrationsTable) {
    pending = migrationsList.migrationDirectories.map((directory) => directory.path);
  } else if (history?.diagnostic === "databaseIsBehind") {
    pending = history.unappliedMigrationNames;
  } else if (history?.diagnostic === "migrationsDirectoryIsBehind") {
    problems.push(
      `Applied to the database but missing from the migrations folder: ${history.unpersistedMigrationNames.join(", ")} (pull or restore them; never delete an applied migration).`,
    );
  } else if (history?.diagnostic === "historiesDiverge") {
    pending = history.unappliedMigrationNames;
    problems.push(
      `The database and the migrations folder diverge after ${history.lastCommonMigrationName ?? "the start"}: applied but not in the folder: ${history.unpersistedMigrationNames.join(", ") || "none"}.`,
    );
  }
  if (pending.length > 0) {
    problems.push(`Not applied yet: ${pending.join(", ")} (run: npm run db:migrate:deploy).`);
  }
  if (diagnosis.failedMigrationNames.length > 0) {
    problems.push(
      `Failed migrations recorded in _prisma_migrations: ${diagnosis.failedMigrationNames.join(", ")} (undo its partial changes, then run: npm run db:migrate:resolve -- --rolled-back <name>, and deploy again).`,
    );
  }
  if (diagnosis.editedMigrationNames.length > 0) {
    problems.push(
      `Edited after being applied (checksum differs): ${diagnosis.editedMigrationNames.join(", ")} (restore the applied migration.sql and put the change into a new migration).`,
    );
  }
  return { upToDate: problems.length === 0, problems, pending };
}
