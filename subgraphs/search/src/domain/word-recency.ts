/**
 * Recency read through one of the searched words: each product keeps its recency feature (see
 * recency-rank.ts) a second time, once under every start of each of its words ("cha", "char",
 * ... "charger"), and a relevance page reads it under a start of one searched word.
 *
 * Why: the product-wide feature is one posting list over the whole catalog, and the engine bounds
 * each of its blocks of 128 products before it skips it, so every page stepped through one block
 * per 128 products whatever the words (about 7,900 steps at 1,000,000 products: most of a page's
 * engine time, and the part that grew with the catalog). Read under a word, the list holds only
 * the products with that word, each block bounded by its own newest product: a page steps
 * through the word's matches, not the catalog (BENCHMARKS.md, "Recency read through a word").
 *
 * Why the score stays the same: every product that matches the words holds a word starting with
 * each searched word (all words are required; the last one, as typed, as a start), so it holds
 * the key the page reads, with the same value as the product-wide feature.
 *
 * Keys are cut from the words as the engine folds them (product_text: lowercase, ASCII folding),
 * split wherever a character is not a plain letter or digit, so a key never starts inside what
 * the engine reads as a word. A product whose word the engine folds in a way this does not (a
 * letter outside FOLDED_LETTERS) keeps its words' scores and loses only its recency for that
 * key: among equally good matches it comes after the newer ones that hold the key, never above a
 * better match (recency is worth less than the smallest difference between two word scores).
 */

import { foldAsEngines } from "./engine-folding.js";

/** The starts of a word kept as keys: shorter ones name most of the catalog, longer ones add keys and no selectivity. */
export const RECENCY_KEY_LENGTH = { min: 3, max: 8 } as const;

/** Runs of plain letters and digits in `text`, folded as the engine folds words. */
export function foldedRuns(text: string): string[] {
  return foldAsEngines(text).split(/[^a-z0-9]+/).filter((run) => run.length > 0);
}

/** Every key a product with these texts holds (each word's starts of RECENCY_KEY_LENGTH). */
export function recencyKeys(texts: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const text of texts) {
    for (const run of foldedRuns(text)) {
      for (let length = RECENCY_KEY_LENGTH.min; length <= Math.min(run.length, RECENCY_KEY_LENGTH.max); length++) keys.add(run.slice(0, length));
    }
  }
  return [...keys];
}

/**
 * The key a search for `text` reads recency under, or undefined when no searched word is long
 * enough (the page then reads the product-wide feature, with the same scores). The longest key:
 * a longer start is held by fewer products, so the page has fewer blocks to step through.
 */
export function recencyKeyOf(text: string): string | undefined {
  let best: string | undefined;
  for (const run of foldedRuns(text)) {
    const key = run.slice(0, RECENCY_KEY_LENGTH.max);
    if (key.length >= RECENCY_KEY_LENGTH.min && key.length > (best?.length ?? 0)) best = key;
  }
  return best;
}
