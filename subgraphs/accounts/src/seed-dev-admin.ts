import type { Config, Logger } from "#kernel";
import type { AccountService } from "./domain/account.service.js";

/** A development account: its credentials, and the id the start banner's token names. */
export interface DevAccount {
  email: string;
  password: string;
  userId: string;
}

/**
 * The development customer. Fixed, not configurable: it exists so the start banner's customer
 * token names a real account (a token for a made-up user reads nothing and cannot save an
 * address), and like the admin it is never made outside development.
 */
export const DEV_CUSTOMER = { email: "customer@storefront.test", password: "customer-password-dev-only" } as const;

/**
 * Creates the development administrator (DEV_ADMIN_EMAIL / DEV_ADMIN_PASSWORD) when it is
 * missing. Only in development: the configuration has no such account in test or production,
 * so this returns without touching the store there.
 */
export async function seedDevAdmin(options: { config: Config; accounts: AccountService; logger: Logger }): Promise<DevAccount | undefined> {
  const admin = options.config.env === "development" ? options.config.accounts.devAdmin : undefined;
  if (!admin) return undefined;
  const { user, created } = await options.accounts.ensureAccount({ ...admin, name: "Development admin", role: "admin" });
  if (created) options.logger.info("development admin created", { userId: user.id, email: admin.email });
  if (user.role !== "admin") options.logger.warn("DEV_ADMIN_EMAIL belongs to an account without the admin role", { userId: user.id });
  return { ...admin, userId: user.id };
}

/** Creates the development customer (`DEV_CUSTOMER`) when it is missing; in development only. */
export async function seedDevCustomer(options: { config: Config; accounts: AccountService; logger: Logger }): Promise<DevAccount | undefined> {
  if (options.config.env !== "development") return undefined;
  const { user, created } = await options.accounts.ensureAccount({ ...DEV_CUSTOMER, name: "Development customer", role: "customer" });
  if (created) options.logger.info("development customer created", { userId: user.id, email: DEV_CUSTOMER.email });
  return { ...DEV_CUSTOMER, userId: user.id };
}
