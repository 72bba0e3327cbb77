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
