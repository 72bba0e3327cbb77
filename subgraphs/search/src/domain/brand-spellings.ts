import type { FacetValue } from "../ports/search-index.js";
import { fold } from "./suggestion-match.js";

const folded = (value: string) => fold(value.trim());

/**
 * The brand values a brand filter matches: each value as given and every spelling the index
 * holds of it whatever its case and accents ("acme" matches products of "ACME" and "Acme").
 * The catalog writes brands as its editors type them, and the index filters on the exact
 * value; spellings come from the index's facet values (an engine's may be 30 s old, so a
 * brand first written since matches as given only until they are read again).
 */
export function brandSpellings(asked: readonly string[], known: readonly FacetValue[]): string[] {
  const wanted = new Set(asked.map(folded));
  const spellings = new Set(asked.map((value) => value.trim()));
  for (const { value } of known) if (wanted.has(folded(value))) spellings.add(value);
  return [...spellings];
}
