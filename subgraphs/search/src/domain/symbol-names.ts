/**
 * Names written as one letter and a symbol: C#, F#, C++ (programming languages, the books and
 * courses about them). The engines' tokenizer drops the symbol and reads the letter alone, so
 * "C#" was the word "c": refused alone as too short, and in a longer query a whole-word "c"
 * that any "C" matched. Each such name is spelled as one word the engines keep whole, in the
 * index (with the product's searched facts) and in a query alike: "C#" is "csharp", "C++"
 * "cplusplus", whatever the case. The word itself is searchable too ("csharp").
 */
const SYMBOL_NAME = /(?<![\p{L}\p{N}])(\p{L})(#|\+\+)(?![\p{L}\p{N}#+])/gu;
const SPELLED: Record<string, string> = { "#": "sharp", "++": "plusplus" };

const spelled = (letter: string, symbol: string) => `${letter.toLowerCase()}${SPELLED[symbol]}`;

/** `text` with each name of one letter and a symbol spelled as one word ("C# 12" -> "csharp 12"). */
export function spellSymbolNames(text: string): string {
  return text.replace(SYMBOL_NAME, (_, letter: string, symbol: string) => spelled(letter, symbol));
}

/** The spelled words of the names `texts` hold, once each, for the index. */
export function symbolNameWords(texts: readonly string[]): string[] {
  const words = new Set<string>();
  for (const text of texts) for (const [, letter, symbol] of text.matchAll(SYMBOL_NAME)) words.add(spelled(letter!, symbol!));
  return [...words];
}
