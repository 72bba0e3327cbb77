import MiniSearch, { type Query, type SearchOptions } from "minisearch";
import { lastWordIsPrefix } from "../domain/search-words.js";

/** Edits forgiven per word, as the engines' AUTO:4,6 (search-dsl.ts `FUZZINESS`). */
export const typoBudget = (term: string): number => (term.length < 4 ? 0 : term.length < 6 ? 1 : 2);

/** The word with each pair of neighbouring letters swapped, once each, without the word itself. */
function neighbourSwaps(term: string): string[] {
  const letters = Array.from(term);
  const swapped = new Set<string>();
  for (let i = 0; i + 1 < letters.length; i++) {
    if (letters[i] === letters[i + 1]) continue;
    const copy = [...letters];
    [copy[i], copy[i + 1]] = [copy[i + 1]!, copy[i]!];
    swapped.add(copy.join(""));
  }
  return [...swapped];
}

/**
 * A query forgiving each word's typos as the engines forgive them, where a swap of two
 * neighbouring letters is one edit (Damerau's). MiniSearch counts edits by Levenshtein, a swap
 * as two: "lmap" found no lamp on the embedded index, which `npm start` runs, while OpenSearch
 * found it, and a swap is the commonest slip of typing. Each word matches as typed within its
 * budget, or with one of its swaps within the budget less one; the words combine as `matching`
 * combines them, the last one a prefix when `lastWordIsPrefix` says so.
 */
export function typoForgivingQuery(text: string, processTerm: (term: string) => string, matching: SearchOptions): Query {
  // Split and folded as MiniSearch splits and folds a query string (its default tokenizer).
  const tokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];
  const terms = tokenize(text)
    .map(processTerm)
    .filter((term) => term !== "");
  const prefixLast = lastWordIsPrefix(terms);
  return {
    combineWith: matching.combineWith ?? "AND",
    // The terms below are the processed ones: taken as they are, never split or folded again.
    tokenize: (term: string) => [term],
    processTerm: (term: string) => term,
    queries: terms.map((term, i) => {
      const budget = typoBudget(term);
      const prefix = i === terms.length - 1 && prefixLast;
      const asTyped = { queries: [term], fuzzy: budget || false, prefix };
      if (budget === 0) return asTyped;
      return { combineWith: "OR", queries: [asTyped, ...neighbourSwaps(term).map((swap) => ({ queries: [swap], fuzzy: budget - 1 || false, prefix }))] };
    }),
  };
}
