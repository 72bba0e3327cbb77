// Prisma migrations without the native schema engine: see prisma/README.md.
//
//   tsx scripts/migrate/cli.ts create <name> [--empty]
//   tsx scripts/migrate/cli.ts deploy | status | check
//   tsx scripts/migrate/cli.ts resolve --rolled-back <name> | --applied <name>
//
// Options: --schema <file or folder> (default prisma/schema.prisma),
//          --migrations <folder> (default prisma/migrations).
// The database is DATABASE_URL (default postgresql://postgres:postgres@127.0.0.1:5432/storefront).
import { parseArgs } from "node:util";
import { checkCommand } from "./commands/check.js";
import { createCommand } from "./commands/create.js";
import { deployCommand } from "./commands/deploy.js";
import { resolveCommand } from "./commands/resolve.js";
import { statusCommand } from "./commands/status.js";
import { defaultContext } from "./context.js";
import { databaseUrlFromEnv } from "./paths.js";

const USAGE = `Usage: tsx scripts/migrate/cli.ts <command> [options]

Commands:
  create <name> [--empty]  write the next migration from prisma/schema.prisma (not applied);
                           --empty writes one even without schema changes, for hand-written SQL
  deploy                   apply pending migrations
  status                   list pending migrations (exit 1 when the database is not up to date)
  check                    drift check: exit 1 when database, migrations and schema.prisma disagree
  resolve --rolled-back <name> | --applied <name>
                           record how a failed migration was dealt with, so deploy can go on

Options:
  --schema <path>          Prisma schema file or folder (default prisma/schema.prisma)
  --migrations <dir>       migrations folder (default prisma/migrations)

Database: DATABASE_URL (default postgresql://postgres:postgres@127.0.0.1:5432/storefront)`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        schema: { type: "string" },
        migrations: { type: "string" },
        empty: { type: "boolean" },
        "rolled-back": { type: "string" },
        applied: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const ctx = defaultContext({
    ...(values.schema ? { schemaPath: values.schema } : {}),
    ...(values.migrations ? { migrationsDir: values.migrations } : {}),
  });
  const expectArgs = (count: number): boolean => {
    if (rest.length === count) return true;
    console.error(`"${command}" takes ${count === 0 ? "no arguments" : `${count} argument`}\n\n${USAGE}`);
    return false;
  };

  switch (command) {
    case "create":
      if (!expectArgs(1)) return 2;
      return (await createCommand(ctx, rest[0] ?? "", { empty: values.empty === true })).exitCode;
    case "deploy":
      return expectArgs(0) ? await deployCommand(ctx) : 2;
    case "status":
      return expectArgs(0) ? await statusCommand(ctx) : 2;
    case "check":
      return expectArgs(0) ? await checkCommand(ctx) : 2;
    case "resolve": {
      const rolledBack = values["rolled-back"];
      const applied = values.applied;
      if (!expectArgs(0) || (rolledBack === undefined) === (applied === undefined)) {
        console.error(`"resolve" takes exactly one of --rolled-back <name> or --applied <name>\n\n${USAGE}`);
        return 2;
      }
      return rolledBack !== undefined
        ? await resolveCommand(ctx, rolledBack, "rolled-back")
        : await resolveCommand(ctx, applied ?? "", "applied");
    }
    default:
      console.error(`Unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(failureMessage(error));
    process.exitCode = 1;
  },
);

/**
 * One line for a command that failed. No database answering is the usual first one (the
 * engines not started, or DATABASE_URL not exported in this shell): it names the address tried
 * and the two ways to have one, instead of a bare ECONNREFUSED.
 */
function failureMessage(error: unknown): string {
  const causes = [error, ...((error as { errors?: unknown[] } | null)?.errors ?? [])];
  if (causes.some((cause) => (cause as { code?: unknown } | null)?.code === "ECONNREFUSED")) {
    const url = databaseUrlFromEnv();
    const where = URL.canParse(url) ? new URL(url).host : "DATABASE_URL";
    const named = process.env.DATABASE_URL ? "DATABASE_URL" : "the default, DATABASE_URL being unset";
    return `Error: no PostgreSQL answers at ${where} (${named}): start the engines with scripts/services.sh up postgres and eval "$(scripts/services.sh env)", or run npm run db:dev and set the DATABASE_URL it prints`;
  }
  return `Error: ${error instanceof Error ? error.message : String(error)}`;
}
