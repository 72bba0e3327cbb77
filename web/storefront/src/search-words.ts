/**
 * The longest search the search subgraph answers (`search.service.ts` refuses a longer one
 * BAD_USER_INPUT). The page never sends one: a 10 KB paste or link showed the refusal under a
 * heading of 10 KB, with a "Try again" that could only fail again.
 */
export const SEARCH_QUERY_MAX_LENGTH = 200;

/** The words a search runs on: trimmed, and cut to the longest search answered (never inside a character). */
export function searchWords(text: string): string {
  const words = text.trim().slice(0, SEARCH_QUERY_MAX_LENGTH);
  return /[\uD800-\uDBFF]$/.test(words) ? words.slice(0, -1) : words;
}

/** A search page's heading: an empty search lists every product, it is not results for “”. */
export function searchHeading(words: string): string {
  return words ? `Results for “${words}”` : "All products";
}

/** What a search page says when nothing matched; a category that has no products says "No products here yet." */
export function noSearchResults(words: string): string {
  return words ? `No products match “${words}”.` : "No products here yet.";
}
