import type { ServerResponse } from "node:http";

/**
 * Adds request headers an answer depends on to its `Vary`, keeping those already named: the
 * gateway names `Origin` (CORS) before the GraphQL handler names `Accept`, and a second
 * `setHeader("vary", …)` dropped the first, so a shared cache could serve one page's CORS
 * answer to another origin.
 */
export function varyBy(res: ServerResponse, ...names: readonly string[]): void {
  const current = res.getHeader("vary");
  const listed = (Array.isArray(current) ? current.join(",") : current === undefined ? "" : String(current))
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const known = new Set(listed.map((name) => name.toLowerCase()));
  if (known.has("*")) return;
  for (const name of names) {
    if (known.has(name.toLowerCase())) continue;
    known.add(name.toLowerCase());
    listed.push(name);
  }
  res.setHeader("vary", listed.join(", "));
}
