import type { Recipient, RecipientDirectory } from "../ports/recipient-directory.js";

/** What the directory needs of the accounts service running in the same process. */
export type FindAccounts = (userIds: readonly string[]) => Promise<Map<string, { id: string; email: string }>>;

/**
 * The embedded adapter: asks the accounts service of this process directly (the one-process
 * `npm start`, whatever store accounts keeps its users in), no network hop.
 */
export function createInProcessRecipientDirectory(findAccounts: FindAccounts): RecipientDirectory {
  return {
    engine: "in-process",
    async findMany(userIds) {
      const accounts = await findAccounts(userIds);
      return new Map<string, Recipient>([...accounts.values()].map((account) => [account.id, { userId: account.id, email: account.email }]));
    },
  };
}
