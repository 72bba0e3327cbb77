/**
 * Writes meant for one concrete index (a rebuild's new index, a name update of step 2 in
 * suggestion-names.ts, a name's recomputation) go through an alias that index carries alone,
 * sent with `require_alias`. An index is deleted with its aliases, so such a write arriving
 * after its index went (retired behind a rebuild, or a rebuild's build deleted by another
 * rebuilder as abandoned) fails instead of auto-creating an index of that name with a dynamic
 * mapping, which a later alias move could then serve. Addressed by its bare name, the engines
 * create the index on any write, `action.auto_create_index` being a cluster-wide setting that a
 * store sharing the cluster cannot take for itself.
 */
export const ownAlias = (index: string): string => `${index}_own`;

/** An index's creation body with its own alias, so it never exists without one. */
export function withOwnAlias<T extends object>(index: string, definition: T): T & { aliases: Record<string, unknown> } {
  const aliases = (definition as { aliases?: Record<string, unknown> }).aliases;
  return { ...definition, aliases: { ...aliases, [ownAlias(index)]: {} } };
}

/** The query of a request whose targets must be aliases that exist: never an index created by the write. */
export const REQUIRE_ALIAS = { require_alias: "true" } as const;
