/**
 * Text folded as the engines' `product_text` analyzer folds it (lowercase, then ASCII folding):
 * accents dropped, full-width forms read as the ASCII they stand for ("ｌａｍｐ" is "lamp", as a
 * Japanese or Chinese keyboard types it), and the letters ASCII folding rewrites that Unicode
 * decomposition leaves whole ("Straße" is "strasse"). The embedded index matches words through
 * it and recency keys are cut from it, so both agree with what OpenSearch and Elasticsearch match.
 */

/** Letters the engine's ASCII folding rewrites that Unicode decomposition leaves whole. */
const FOLDED_LETTERS: Record<string, string> = {
  ß: "ss", æ: "ae", ø: "o", œ: "oe", đ: "d", ð: "d", ł: "l", ŀ: "l", þ: "th", ı: "i", ħ: "h", ŧ: "t", ŋ: "n", ſ: "s", ƒ: "f",
  ﬀ: "ff", ﬁ: "fi", ﬂ: "fl", ﬃ: "ffi", ﬄ: "ffl", ﬅ: "st", ﬆ: "st",
};
const FOLDED_LETTER = new RegExp(`[${Object.keys(FOLDED_LETTERS).join("")}]`, "gu");

/** Full-width forms (U+FF01 to U+FF5E) read as the ASCII they stand for, as the engine folds them. */
const FULL_WIDTH = /[\uFF01-\uFF5E]/gu;

export function foldAsEngines(text: string): string {
  return (
    text
      // Canonical decomposition only: compatibility forms (½, ™, ①) would become digits and
      // letters where the engine sees no word.
      .normalize("NFD")
      .replace(/\p{M}+/gu, "")
      .replace(FULL_WIDTH, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0))
      .toLowerCase()
      .replace(FOLDED_LETTER, (char) => FOLDED_LETTERS[char]!)
  );
}
