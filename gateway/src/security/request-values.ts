/**
 * Whether a JSON value nests deeper than `maxDepth` levels, found without recursion (so no
 * depth can overflow the stack). Coercing a variable recurses once per level, so depth is
 * refused before anything coerces it. Text checks (NUL, lone surrogates) are the kernel's
 * (`isStorableText`, `unstorableVariable`, `unstorableLiteral`), shared with every subgraph.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= maxDepth) return true;
    for (const item of Array.isArray(current) ? current : Object.values(current)) pending.push({ value: item, depth: depth + 1 });
  }
  return false;
}
