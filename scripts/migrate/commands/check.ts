// `check`: drift check for CI. Fails (exit 1) when
//  1. the database's migration history is not the migrations folder (pending, failed, edited,
//     or unknown migrations),
//  2. schema.prisma has changes no migration contains, or a migration does not apply to an
//     empty database (migrations replayed on a shadow database, compared with schema.prisma), or
//  3. the live database differs from schema.prisma (a column added by hand, a dropped index...).
import path from "node:path";
import { describeDatabase, parseDatabaseUrl } from "../connection.js";
import { type MigrateContext, displayPath } from "../context.js";
import { listMigrations } from "../migrations-dir.js";
import { NO_EXTERNAL_OBJECTS, SchemaEngineError, withMigrationEngine } from "../schema-engine.js";
import { loadSchema } from "../schema-files.js";
import { databaseExists, diagnoseHistory } from "./history.js";

const DIFF_FOUND = 2;

function indent(summary: string): string {
  return summary
    .trim()
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}

export async function checkCommand(ctx: MigrateContext): Promise<number> {
  const fields = parseDatabaseUrl(ctx.databaseUrl);
  const target = describeDatabase(fields);
  const schemaName = displayPath(ctx.schemaPath);
  const migrationsName = displayPath(ctx.migrationsDir);
  if (!(await databaseExists(fields))) {
    ctx.err(`Drift check failed: database ${target} does not exist (run: npm run db:migrate:deploy).`);
    return 1;
  }
  const schema = await loadSchema(ctx.schemaPath);
  const migrationsList = await listMigrations(ctx.migrationsDir);
  const problems: string[] = [];

  await withMigrationEngine({ databaseUrl: ctx.databaseUrl, schema }, async (engine) => {
    const history = await diagnoseHistory(engine, migrationsList);
    problems.push(...history.problems);

    const to = { tag: "schemaDatamodel" as const, files: schema.files };
    if (migrationsList.migrationDirectories.length === 0) {
      problems.push(`${migrationsName} has no migrations (run: npm run db:migrate:create -- init).`);
    } else {
      let migrationsVsSchema: { exitCode: number; stdout: string | null } | undefined;
      try {
        migrationsVsSchema = await engine.diff({
          from: { tag: "migrations", ...migrationsList },
          to,
          script: false,
          exitCode: true,
          filters: NO_EXTERNAL_OBJECTS,
        });
      } catch (error) {
        if (!(error instanceof SchemaEngineError)) throw error;
        // e.g. P3006: a migration fails on an empty (shadow) database.
        problems.push(`The migrations in ${migrationsName} do not replay cleanly on an empty database: ${error.message}`);
      }
      if (migrationsVsSchema?.exitCode === DIFF_FOUND) {
        problems.push(
          `${schemaName} has changes that no migration in ${migrationsName} contains (run: npm run db:migrate:create -- <name>):\n${indent(migrationsVsSchema.stdout ?? "")}`,
        );
      }
    }

    const databaseVsSchema = await engine.diff({
      from: { tag: "schemaDatasource", files: schema.files, configDir: path.dirname(path.resolve(ctx.schemaPath)) },
      to,
      script: false,
      exitCode: true,
      filters: NO_EXTERNAL_OBJECTS,
    });
    if (databaseVsSchema.exitCode === DIFF_FOUND) {
      const cause =
        history.pending.length > 0
          ? "pending migrations; run: npm run db:migrate:deploy"
          : "changed outside of migrations; undo the change, or put it in schema.prisma and a migration";
      problems.push(
        `Database ${target} differs from ${schemaName} (${cause}). To match ${schemaName}, the database would need:\n${indent(databaseVsSchema.stdout ?? "")}`,
      );
    }
  });

  if (problems.length === 0) {
    ctx.out(`Drift check passed: ${target}, ${migrationsName} and ${schemaName} agree.`);
    return 0;
  }
  ctx.err(`Drift check failed (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
  for (const problem of problems) ctx.err(`  - ${problem}`);
  return 1;
}
