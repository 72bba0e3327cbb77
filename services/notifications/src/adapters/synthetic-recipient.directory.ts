import type { Recipient, RecipientDirectory } from "../ports/recipient-directory.js";

export const CUSTOMER_MAIL_DOMAIN = "customers.storefront.example";

/**
 * For tests and tools that run the notification service without accounts: every user id is
 * a customer at `<userId>@customers.storefront.example` (a reserved example domain, so nothing
 * is ever delivered to a stranger), characters an address cannot hold replaced by "_".
 * Never wired in by the service itself, which asks accounts.
 */
export class SyntheticRecipientDirectory implements RecipientDirectory {
  readonly engine = "synthetic";

  async findMany(userIds: readonly string[]): Promise<Map<string, Recipient>> {
    return new Map(userIds.map((userId) => [userId, { userId, email: `${userId.replace(/[^A-Za-z0-9._+-]/g, "_") || "_"}@${CUSTOMER_MAIL_DOMAIN}` }]));
  }
}
