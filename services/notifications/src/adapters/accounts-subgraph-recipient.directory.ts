import { createSubgraphClient } from "#kernel";
import type { Recipient, RecipientDirectory } from "../ports/recipient-directory.js";

// Federation's entity lookup: many users in one request, as the gateway resolves references.
const USERS = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;

/**
 * The real adapter: the accounts subgraph over HTTP, as the notification service's own
 * identity (role service, which may read any user). Unknown ids come back as null entities.
 */
export function createAccountsSubgraphRecipientDirectory(options: { url: string; internalSecret: string }): RecipientDirectory {
  const accounts = createSubgraphClient({ url: options.url, audience: "accounts", internalSecret: options.internalSecret, serviceName: "notifications", connections: 4 });
  return {
    engine: "accounts-subgraph",
    async findMany(userIds) {
      const data = await accounts.request<{ _entities: ({ id?: string; email?: string } | null)[] }>(USERS, {
        representations: userIds.map((id) => ({ __typename: "User", id })),
      });
      const found = new Map<string, Recipient>();
      for (const user of data._entities) if (user?.id && user.email) found.set(user.id, { userId: user.id, email: user.email });
      return found;
    },
    close: () => accounts.close(),
  };
}
