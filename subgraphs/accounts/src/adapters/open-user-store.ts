import type { Config, Logger } from "#kernel";
import type { UserStore } from "../ports/user-store.js";
import { EmbeddedUserStore } from "./embedded-user-store.js";

/**
 * MySQL when MYSQL_URL is set, the embedded store otherwise. On MySQL the schema must be up
 * to date: development applies pending migrations at start, other environments refuse to
 * start with pending ones (deploy them first, see prisma/accounts/README.md).
 */
export async function openUserStore(config: Config, logger: Logger): Promise<UserStore> {
  const url = config.accounts.mysqlUrl;
  if (!url) return EmbeddedUserStore.open(config.accounts.embeddedFile);
  const { deployMigrations, migrationStatus } = await import("../../../../prisma/accounts/migrator/mysql-migrator.js");
  if (config.env === "development") {
    const { applied } = await deployMigrations(url);
    if (applied.length) logger.info("accounts migrations applied", { applied });
  } else {
    const status = await migrationStatus(url);
    const blocking = [...status.pending, ...status.failed, ...status.changed];
    if (blocking.length) throw new Error(`The accounts database is not migrated (${blocking.join(", ")}): run prisma/accounts/migrator/cli.ts deploy`);
  }
  const { PrismaUserStore } = await import("./prisma-user-store.js");
  return PrismaUserStore.connect(url);
}
