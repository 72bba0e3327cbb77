// `resolve --rolled-back <name>` / `resolve --applied <name>`: record by hand how a failed
// migration was dealt with (as `prisma migrate resolve`), so that deploy can go on.
//  --rolled-back: the failed migration's changes were undone; deploy will run it again.
//  --applied:     the migration's changes were completed by hand; deploy will skip it.
import { describeDatabase, parseDatabaseUrl } from "../connection.js";
import type { MigrateContext } from "../context.js";
import { listMigrations } from "../migrations-dir.js";
import { withMigrationEngine } from "../schema-engine.js";

export type Resolution = "rolled-back" | "applied";

export async function resolveCommand(ctx: MigrateContext, migrationName: string, resolution: Resolution): Promise<number> {
  const target = describeDatabase(parseDatabaseUrl(ctx.databaseUrl));
  const migrationsList = await listMigrations(ctx.migrationsDir);
  await withMigrationEngine({ databaseUrl: ctx.databaseUrl }, async (engine) => {
    if (resolution === "rolled-back") {
      await engine.markMigrationRolledBack({ migrationName });
    } else {
      await engine.markMigrationApplied({ migrationName, migrationsList });
    }
  });
  ctx.out(`Marked ${migrationName} as ${resolution} in ${target}.`);
  return 0;
}
