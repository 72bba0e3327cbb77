import type { SearchHits, SearchIndex, SearchRequest } from "../ports/search-index.js";
import { wordsOf } from "./suggestion-match.js";

/**
 * Words of 4 letters or more (those a typo is forgiven in, see FUZZINESS) a query may have for
 * the forgiving pass to run. Each such word is an automaton the engine builds per fuzzy field
 * and runs over the term dictionary, whether or not anything matches: at 1,000,000 products
 * 20 misspelt words of 9 letters cost OpenSearch 270-440 ms of CPU, against 10-30 ms for a
 * search. A shopper's misspelt query is a few words; a longer one that matches nothing as
 * typed simply finds nothing.
 */
export const MAX_FORGIVEN_WORDS = 5;

/**
 * The longest word a typo is forgiven in. An automaton's walk over the term dictionary grows
 * with the word: at 1,000,000 products five misspelt words cost the engine 217 ms (page and
 * counts) at 9 letters, 546 ms at 20 and 1,091 ms at 40. Product words are shorter; a longer
 * one that matches nothing as typed finds nothing.
 */
export const MAX_FORGIVEN_WORD_LENGTH = 20;

/** Whether the text is short enough to be searched again with typos forgiven. */
export function typosForgivable(text: string): boolean {
  const forgivable = wordsOf(text).filter((word) => word.length >= 4);
  return forgivable.length <= MAX_FORGIVEN_WORDS && forgivable.every((word) => word.length <= MAX_FORGIVEN_WORD_LENGTH);
}

export interface TypedSearchHits extends SearchHits {
  /** Nothing matched the words as typed, and these hits match them with typos forgiven. */
  typosForgiven: boolean;
}

/**
 * Words as typed first; typos forgiven only when nothing matches them so (with the filters).
 *
 * A shopper who typed a word the catalog has wants the products that have it, and facet counts
 * of those. Forgiving typos always also matched every product one or two edits away, ranked
 * lower but counted in the total and every facet: at 1,000,000 products "history" matched 9,941
 * products as typed and 42,662 with typos forgiven, and "board" 19,486 against 32,004. It was
 * also the costlier query (each word expands to its neighbours). A misspelt query ("wirless
 * headphones") matches nothing as typed, which the engine answers from its term dictionary
 * alone, and is then asked again forgiving typos. The answer is a function of the index and
 * the request (not of `after`), so every page of one query takes the same branch.
 */
export async function searchAsTyped(index: SearchIndex, request: Omit<SearchRequest, "forgiveTypos">): Promise<TypedSearchHits> {
  const asTyped = await index.search({ ...request, forgiveTypos: false });
  if (asTyped.anyMatch || !request.text.trim() || !typosForgivable(request.text)) return { ...asTyped, typosForgiven: false };
  const forgiving = await index.search({ ...request, forgiveTypos: true });
  return { ...forgiving, typosForgiven: forgiving.anyMatch };
}
