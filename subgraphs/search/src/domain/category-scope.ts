/** A category tree: each slug with the slugs directly below it. */
export type CategoryChildren = ReadonlyMap<string, readonly string[]>;

/** Each slug and every slug below it, once each, parents first; the walk stops at a slug met before, so a loop ends. */
export function slugsWithin(children: CategoryChildren, slugs: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (slug: string) => {
    if (found.has(slug)) return;
    found.add(slug);
    for (const child of children.get(slug) ?? []) visit(child);
  };
  for (const slug of slugs) visit(slug);
  return [...found];
}
