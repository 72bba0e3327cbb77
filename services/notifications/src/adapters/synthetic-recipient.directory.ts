import type { Recipient, RecipientDirectory } from "../ports/recipient-directory.js";

export const CUSTOMER_MAIL_DOMAIN = "customers.storefront.example";

/**
 * Addresses customers by user id until accounts store real contact details:
 * `<userId>@customers.storefront.example` (a reserved example domain, so nothing is ever
 * delivered to a stranger), characters an address cannot hold replaced by "_". No phones.
 */
export class EmbeddedRecipientDirectory implements RecipientDirectory {
  async find(userId: string): Promise<Recipient> {
    const local = userId.replace(/[^A-Za-z0-9._+-]/g, "_") || "_";
    return { userId, email: `${local}@${CUSTOMER_MAIL_DOMAIN}` };
  }
}
