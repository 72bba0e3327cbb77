import type { SubgraphClient } from "#kernel";
import type { SubjectDirectory } from "./subject-directory.js";

// The federation entry point every subgraph has: no field of the public schema to add, and
// the accounts subgraph resolves a User reference for the service role, null when unknown.
const USER_REFERENCE = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }`;

/** Asks the accounts subgraph, as the gateway's service identity, whether a user exists. */
export function createAccountsSubjectDirectory(accounts: Pick<SubgraphClient, "request">): SubjectDirectory {
  return {
    async hasAccount(userId) {
      const data = await accounts.request<{ _entities: ({ id?: string } | null)[] }>(USER_REFERENCE, {
        representations: [{ __typename: "User", id: userId }],
      });
      return data._entities[0]?.id === userId;
    },
  };
}
