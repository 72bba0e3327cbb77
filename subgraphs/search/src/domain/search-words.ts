/**
 * The words of a search query as the engine's standard tokenizer reads them (Unicode word
 * boundaries): runs of letters and digits, except that every Chinese or Japanese ideograph,
 * every hiragana and every emoji is a word of its own. A count here is never below the engine's
 * (a sequence of emoji joined into one symbol counts each part), so a bound on it bounds the
 * engine's.
 *
 * Why a bound: the engine builds about nine clauses for each word of a search (the words that
 * must match, the same words scoring, each ranked field, the phrase), whether or not anything
 * matches, and builds them again for the counts and again when typos are forgiven. The 200
 * characters a query may have are 100 one-letter words, or 200 words in a query of ideographs
 * with no space between them: 1,800 clauses. At 196,000 products on a busy machine, a query of
 * 100 one-letter words that matches nothing took the engine 324-422 ms, against 15-18 ms for
 * one word matching nothing and 68-101 ms for 30 words (bench/catalog-shapes-at-scale.ts).
 */
export const MAX_SEARCH_WORDS = 32;

const SINGLE = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Extended_Pictographic}`;
const WORD = new RegExp(String.raw`[${SINGLE}]|(?:(?![${SINGLE}])[\p{L}\p{N}\p{M}])+`, "gu");

/** The words the engine reads in `text`, at least as many as it does. */
export const engineWords = (text: string): string[] => text.match(WORD) ?? [];

/**
 * The shortest word that, searched alone, matches as the start of a word. A lone word of one
 * or two letters matches whole words only ("tv", "xl", "3d"): as a start it read every word
 * beginning so, "a" 404 and "e" 346 of the demo's 600 products, ranked by nothing the shopper
 * meant. After other words the last one is a start from its first letter ("yoga m", "sleeping
 * b"): the words before it already narrow the matches to a few. Completing a lone word as it
 * is typed is `autocomplete`'s work, which the storefront asks from the first letter.
 */
export const MIN_PREFIX_LENGTH = 3;

/** Whether the last word of `words` also matches as the start of a longer word. */
export const lastWordIsPrefix = (words: readonly string[]): boolean =>
  words.length > 1 || (words.length === 1 && [...words[0]!].length >= MIN_PREFIX_LENGTH);

/** A word the engine reads alone, one character long, that carries meaning: an ideograph, a hiragana or an emoji. */
const MEANINGFUL_SINGLE = new RegExp(`^[${SINGLE}]$`, "u");

/**
 * Whether a query names nothing to search for: words, none of two letters or more nor an
 * ideograph ("a", "x 1"). One letter is the start of a word being typed, not a search; it
 * matched most of the catalog by every word's first letter, or as a whole word, every product
 * whose description holds "a".
 */
export function tooShortToSearch(text: string): boolean {
  const words = engineWords(text);
  return words.length > 0 && words.every((word) => [...word].length < 2 && !MEANINGFUL_SINGLE.test(word));
}
