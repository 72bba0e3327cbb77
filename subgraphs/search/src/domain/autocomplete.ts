import type { FacetValue, SearchIndex } from "../ports/search-index.js";
import { matchQuality, typedText } from "./suggestion-match.js";

export type SuggestionKind = "PRODUCT" | "CATEGORY" | "BRAND";

export const SUGGESTION_KINDS: readonly SuggestionKind[] = ["PRODUCT", "CATEGORY", "BRAND"];

/** One completion: a product to open, or a category or brand to filter by (`value`). */
export type RankedSuggestion =
  | { kind: "PRODUCT"; text: string; productId: string }
  | { kind: "CATEGORY" | "BRAND"; text: string; value: string };

/** Categories and brands take at most this many places each, so products always show. */
export const FACET_SUGGESTIONS_PER_KIND = 2;

/** At equal match quality a category or brand comes first: it stands for every product under it. */
const KIND_ORDER: Record<SuggestionKind, number> = { CATEGORY: 0, BRAND: 1, PRODUCT: 2 };

interface Candidate {
  suggestion: RankedSuggestion;
  quality: number;
  popularity: number;
}

/** Facet values are matched on their words ("home-kitchen" reads as "home kitchen"). */
function facetCandidates(kind: "CATEGORY" | "BRAND", values: FacetValue[], typed: ReturnType<typeof typedText>): Candidate[] {
  const candidates: Candidate[] = [];
  for (const { value, popularity } of values) {
    const quality = matchQuality(typed, value.replace(/[-_]+/g, " "));
    if (quality > 0) candidates.push({ suggestion: { kind, text: value, value }, quality, popularity });
  }
  return candidates.sort(byRank).slice(0, FACET_SUGGESTIONS_PER_KIND);
}

function byRank(a: Candidate, b: Candidate): number {
  return (
    b.quality - a.quality ||
    KIND_ORDER[a.suggestion.kind] - KIND_ORDER[b.suggestion.kind] ||
    b.popularity - a.popularity ||
    (a.suggestion.text < b.suggestion.text ? -1 : a.suggestion.text > b.suggestion.text ? 1 : 0) ||
    (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0)
  );
}

const idOf = (candidate: Candidate) => (candidate.suggestion.kind === "PRODUCT" ? candidate.suggestion.productId : candidate.suggestion.value);

/**
 * Suggestions for what a shopper is typing, best first: match quality (`suggestion-match.ts`),
 * then categories and brands before products, then popularity. The index finds the products;
 * categories and brands are few, so they are matched here, the same way on every engine.
 */
export async function suggestCompletions(index: SearchIndex, prefix: string, options: { limit: number; kinds?: readonly SuggestionKind[] }): Promise<RankedSuggestion[]> {
  const typed = typedText(prefix);
  const kinds = new Set(options.kinds ?? SUGGESTION_KINDS);
  if (typed.words.length === 0 || kinds.size === 0 || options.limit <= 0) return [];
  const [products, facets] = await Promise.all([
    kinds.has("PRODUCT") ? index.suggestProducts(typed, options.limit) : [],
    kinds.has("CATEGORY") || kinds.has("BRAND") ? index.facetValues() : { brands: [], categories: [] },
  ]);
  const candidates: Candidate[] = products.map((p) => ({ suggestion: { kind: "PRODUCT", text: p.text, productId: p.productId }, quality: p.quality, popularity: p.popularity }));
  if (kinds.has("CATEGORY")) candidates.push(...facetCandidates("CATEGORY", facets.categories, typed));
  if (kinds.has("BRAND")) candidates.push(...facetCandidates("BRAND", facets.brands, typed));
  return candidates.sort(byRank).slice(0, options.limit).map((c) => c.suggestion);
}
