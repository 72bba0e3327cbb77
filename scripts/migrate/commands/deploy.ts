// `deploy`: apply every pending migration (as `prisma migrate deploy`).
import { applyMigrations } from "../apply-migrations.js";
import { describeDatabase, parseDatabaseUrl } from "../connection.js";
import type { MigrateContext } from "../context.js";

export async function deployCommand(ctx: MigrateContext): Promise<number> {
  const target = describeDatabase(parseDatabaseUrl(ctx.databaseUrl));
  const result = await applyMigrations(ctx.databaseUrl, { migrationsDir: ctx.migrationsDir, log: ctx.out });
  if (result.applied.length === 0) {
    ctx.out(`No pending migrations: ${target} is up to date.`);
  } else {
    ctx.out(`Applied ${result.applied.length} migration(s) to ${target}.`);
  }
  return 0;
}
