import { readFileSync } from "node:fs";

/** The variables of the README's configuration table, which a test keeps equal to what the configuration reads. */
export function variablesInReadmeTable(): Set<string> {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Benchmarks"));
  return new Set([...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
}
