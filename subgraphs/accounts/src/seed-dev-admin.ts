import type { Config, Logger } from "#kernel";
import type { AccountService } from "./domain/account.service.js";

/**
 * Creates the development administrator (DEV_ADMIN_EMAIL / DEV_ADMIN_PASSWORD) when it is
 * missing. Only in development: the configuration has no such account in test or production,
 * so this returns without touching the store there.
 */
export async function seedDevAdmin(options: { config: Config; accounts: AccountService; logger: Logger }): Promise<{ email: string; password: string } | undefined> {
  const admin = options.config.env === "development" ? options.config.accounts.devAdmin : undefined;
  if (!admin) return undefined;
  const { user, created } = await options.accounts.ensureAccount({ ...admin, name: "Development admin", role: "admin" });
  if (created) options.logger.info("development admin created", { userId: user.id, email: admin.email });
  if (user.role !== "admin") options.logger.warn("DEV_ADMIN_EMAIL belongs to an account without the admin role", { userId: user.id });
  return admin;
}
