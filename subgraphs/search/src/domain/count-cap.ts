import type { SearchCounts, SearchFacets } from "../ports/search-index.js";

/**
 * Counts bounded by the catalog's size no more: a search counts its matches exactly up to a
 * cap (SEARCH_EXACT_COUNT_LIMIT) and past it says "at least that many", as large stores show
 * "1-20 of over 1,000 results". Counting is a pass over every match (the total, each facet),
 * so without a cap a word matching 50,000 products costs 1,000 times what one matching 50 does.
 * The default cap (1,000) is where counting at 1,000,000 products costs the engine what it does
 * at 600 (BENCHMARKS.md, "Counts up to a cap").
 *
 * An index stops after the first `cap + 1` matches it meets (in its own order, not the page's):
 * `cap + 1` counted means more than `cap` match, so the total shown is `cap` and not exact.
 */

/**
 * The cap a search's counts stop at: `exactUpTo` when it counts something (the total or a
 * facet), none when it counts nothing (a page alone, or whether anything matches at all).
 * The one place that decides it, for the request an engine is sent, for reading its answer,
 * and for the embedded index.
 */
export const capOf = (counts: SearchCounts): number | undefined => (counts.total || counts.facets.size > 0 ? counts.exactUpTo : undefined);

/** How many matches an index counts at most for a cap: one past it, to know the cap was passed. */
export const countingLimit = (cap: number): number => cap + 1;

/** The total to answer, and whether it is exact, from how many matches an index counted. */
export function cappedTotal(counted: number, cap: number | undefined): { total: number; exact: boolean } {
  if (cap === undefined || counted <= cap) return { total: counted, exact: true };
  return { total: cap, exact: false };
}

/**
 * Facet counts made over some of the matches: each is a lower bound, kept at most `cap` so no
 * facet value claims more products than the total does.
 */
export function cappedFacets(facets: SearchFacets, cap: number | undefined): SearchFacets {
  if (cap === undefined) return facets;
  const atMost = <T extends { count: number }>(bucket: T): T => (bucket.count > cap ? { ...bucket, count: cap } : bucket);
  return {
    categories: facets.categories.map(atMost),
    brands: facets.brands.map(atMost),
    priceRanges: facets.priceRanges.map(atMost),
    options: facets.options.map((option) => ({ ...option, values: option.values.map(atMost) })),
  };
}
