/** A cache hint: how long an answer may be kept, and by whom. */
export interface CacheHint {
  maxAge?: number;
  scope?: "PUBLIC" | "PRIVATE";
}

/**
 * An answer's overall cache policy as Apollo Server 5 keeps it per request (its `newCachePolicy`,
 * which its package does not export): the subgraphs' `Cache-Control` headers narrow it
 * (`restrict`, by the pooled data source), and an answer's header is written from
 * `policyIfCacheable`. For the answers written without its pipeline (`persisted-answers.ts`).
 */
export function newCachePolicy() {
  return {
    maxAge: undefined as number | undefined,
    scope: undefined as CacheHint["scope"],
    restrict(hint: CacheHint): void {
      if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
      if (hint.scope !== undefined && this.scope !== "PRIVATE") this.scope = hint.scope;
    },
    replace(hint: CacheHint): void {
      if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
      if (hint.scope !== undefined) this.scope = hint.scope;
    },
    policyIfCacheable(): { maxAge: number; scope: "PUBLIC" | "PRIVATE" } | null {
      if (this.maxAge === undefined || this.maxAge === 0) return null;
      return { maxAge: this.maxAge, scope: this.scope ?? "PUBLIC" };
    },
  };
}
