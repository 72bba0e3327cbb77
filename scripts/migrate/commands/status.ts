// `status`: which migrations are applied, which are pending (as `prisma migrate status`).
// Exit code 1 when the database is not up to date.
import { describeDatabase, parseDatabaseUrl } from "../connection.js";
import { type MigrateContext, displayPath } from "../context.js";
import { listMigrations, migrationNames } from "../migrations-dir.js";
import { withMigrationEngine } from "../schema-engine.js";
import { databaseExists, diagnoseHistory } from "./history.js";

export async function statusCommand(ctx: MigrateContext): Promise<number> {
  const fields = parseDatabaseUrl(ctx.databaseUrl);
  const target = describeDatabase(fields);
  const migrationsList = await listMigrations(ctx.migrationsDir);
  const names = migrationNames(migrationsList);
  ctx.out(`${names.length} migration(s) in ${displayPath(ctx.migrationsDir)}`);

  if (!(await databaseExists(fields))) {
    ctx.err(`Database ${target} does not exist yet: ${names.length} migration(s) pending (run: npm run db:migrate:deploy).`);
    return 1;
  }
  const report = await withMigrationEngine({ databaseUrl: ctx.databaseUrl }, (engine) =>
    diagnoseHistory(engine, migrationsList),
  );
  if (report.upToDate) {
    ctx.out(`Database ${target} is up to date.`);
    return 0;
  }
  ctx.err(`Database ${target} is not up to date:`);
  for (const problem of report.problems) ctx.err(`  - ${problem}`);
  return 1;
}
