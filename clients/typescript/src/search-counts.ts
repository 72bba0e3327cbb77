/**
 * A search count as a shopper reads it. Past the search's exact-count limit a count is a lower
 * bound (`SearchResult.totalCountIsExact`, `SearchFacets.countsAreExact` false): "1,000+".
 */
export function formatCount(count: number, exact: boolean): string {
  const shown = count.toLocaleString("en-US");
  return exact ? shown : `${shown}+`;
}
