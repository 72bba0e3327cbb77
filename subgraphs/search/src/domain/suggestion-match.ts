/**
 * How well a name matches what a shopper has typed so far: the one rule every index applies to
 * autocomplete, so the embedded index and the engines rank alike. Each typed word scores its best
 * match against the name's words, and every typed word must match somewhere:
 *
 *   exact word (4) > start of a word (3) > inside a word (2) > start of a word with typos (1)
 *
 * A name whose words start with the typed words, in order, scores NAME_START_BONUS on top,
 * which outweighs any sum of word scores: "wild" typed puts "Wildpath Trail Headlamp" above
 * "Harbor House Wild Novel". Scores are small integers, so engines compute them exactly
 * (constant scores) and ties fall to popularity.
 */

export const WORD_QUALITY = { exact: 4, wordStart: 3, infix: 2, typo: 1 } as const;

export const NAME_START_BONUS = 50;

/** Typed words beyond this are ignored: a suggestion's cost grows with every word. */
export const MAX_TYPED_WORDS = 8;

/** A word starts matching inside other words from 3 letters (fewer matches almost anything). */
export const INFIX_LENGTH = { min: 3, max: 10 } as const;

/** Word prefixes the engines index (edge n-grams): a longer typed word can only match whole. */
export const MAX_WORD_PREFIX = 20;

/** Product names have at most 200 characters: a longer typed phrase cannot start one. */
export const MAX_NAME_PHRASE = 200;

/**
 * Edits forgiven per typed word: none below 4 letters, one below 8, two from 8. Stricter than
 * search's AUTO:4,6 because a typed word is compared with every start of every word: with two
 * edits at 6 letters, "phones" would suggest "Professional".
 */
export const typoBudget = (word: string): number => (word.length < 4 ? 0 : word.length < 8 ? 1 : 2);

/** Lower case without accents, as the engines' lowercase and asciifolding filters. */
export const fold = (text: string): string => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/** Words as the engines' standard tokenizer splits them (letters and digits, inner apostrophes kept). */
export const wordsOf = (text: string): string[] => fold(text).match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];

/** A name's words joined by single spaces: what the start of a name is compared on. */
export const phraseOf = (text: string): string => wordsOf(text).join(" ");

/** What a shopper typed, ready to match. */
export interface TypedText {
  /** At most MAX_TYPED_WORDS words, folded. */
  words: string[];
  /** The words joined by single spaces: compared with the start of a name's phrase. */
  phrase: string;
}

export function typedText(prefix: string): TypedText {
  const words = wordsOf(prefix).slice(0, MAX_TYPED_WORDS);
  return { words, phrase: words.join(" ").slice(0, MAX_NAME_PHRASE) };
}

/** Optimal string alignment distance (a swap of neighbours is one edit), as Lucene's fuzzy queries count. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** How one typed word matches one word of a name; 0 when it does not. */
export function wordQuality(typed: string, word: string): number {
  if (typed === word) return WORD_QUALITY.exact;
  if (typed.length <= MAX_WORD_PREFIX && word.startsWith(typed)) return WORD_QUALITY.wordStart;
  if (typed.length >= INFIX_LENGTH.min && typed.length <= INFIX_LENGTH.max && word.includes(typed)) return WORD_QUALITY.infix;
  const budget = typoBudget(typed);
  if (budget === 0) return 0;
  // A typo'd prefix: some start of the word (as the engines' edge n-grams hold them) within the budget.
  const longest = Math.min(word.length, MAX_WORD_PREFIX, typed.length + budget);
  for (let length = Math.max(1, typed.length - budget); length <= longest; length++) {
    if (editDistance(typed, word.slice(0, length), budget) <= budget) return WORD_QUALITY.typo;
  }
  return 0;
}

/** The match score of a name for typed text: 0 unless every typed word matches a word of it. */
export function matchQuality(typed: TypedText, name: string, nameWords: readonly string[] = wordsOf(name)): number {
  if (typed.words.length === 0) return 0;
  let total = 0;
  for (const word of typed.words) {
    let best = 0;
    for (const candidate of nameWords) best = Math.max(best, wordQuality(word, candidate));
    if (best === 0) return 0;
    total += best;
  }
  return total + (phraseOf(name).startsWith(typed.phrase) ? NAME_START_BONUS : 0);
}
