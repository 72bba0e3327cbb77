import { FieldPolicy } from "#kernel/graphql/declared-cache-hints-plugin.js";

/**
 * An answer's overall cache policy as Apollo Server 5 keeps it per request (its `newCachePolicy`,
 * which its package does not export): the subgraphs' `Cache-Control` headers narrow it
 * (`restrict`, by the pooled data source), and an answer's header is written from
 * `policyIfCacheable`. For the answers written without its pipeline (`persisted-answers.ts`).
 * The same rules as a field's policy in the subgraphs, from no hint at all.
 */
export function newCachePolicy(): FieldPolicy {
  return new FieldPolicy({});
}
