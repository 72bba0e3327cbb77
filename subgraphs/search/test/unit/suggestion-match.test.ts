import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editDistance, matchQuality, NAME_START_BONUS, typedText, WORD_QUALITY, wordQuality, wordsOf } from "../../src/domain/suggestion-match.js";

describe("suggestion match", () => {
  it("splits and folds words as the engines' standard tokenizer and folding filters do", () => {
    assert.deepEqual(wordsOf("Brisk & Co Chef's Knife, USB-C Crème"), ["brisk", "co", "chef's", "knife", "usb", "c", "creme"]);
    assert.deepEqual(wordsOf("🎧 .* [a-z] \\ % ?"), ["a", "z"]);
  });

  it("grades a typed word: exact word, start of a word, inside a word, typo'd start", () => {
    assert.equal(wordQuality("wireless", "wireless"), WORD_QUALITY.exact);
    assert.equal(wordQuality("wireles", "wireless"), WORD_QUALITY.wordStart);
    assert.equal(wordQuality("phones", "headphones"), WORD_QUALITY.infix);
    assert.equal(wordQuality("hedph", "headphones"), WORD_QUALITY.typo);
    assert.equal(wordQuality("minimalsit", "minimalist"), WORD_QUALITY.typo, "two swapped letters are one edit");
    assert.equal(wordQuality("ph", "headphones"), 0, "two letters never match inside a word");
    assert.equal(wordQuality("phones", "professional"), 0, "six letters forgive one edit, not two");
  });

  it("counts a swap of neighbours as one edit and stops early past the limit", () => {
    assert.equal(editDistance("ab", "ba", 2), 1);
    assert.equal(editDistance("kitten", "sitting", 3), 3);
    assert.equal(editDistance("a".repeat(50), "b".repeat(50), 2), 3);
  });

  it("requires every typed word and ranks a name starting with the typed words above one containing them", () => {
    const wild = "Wildpath Trail Headlamp";
    const wireless = "Sonora Wireless Headphones";
    const book = "Harbor House Wild Novel";
    const typed = typedText("wi");
    assert.equal(matchQuality(typed, wild), WORD_QUALITY.wordStart + NAME_START_BONUS);
    assert.equal(matchQuality(typed, wireless), WORD_QUALITY.wordStart);
    assert.equal(matchQuality(typed, book), WORD_QUALITY.wordStart);
    assert.equal(matchQuality(typedText("wireless zebra"), wireless), 0);
    assert.equal(matchQuality(typedText("sonora wireless h"), wireless), NAME_START_BONUS + 2 * WORD_QUALITY.exact + WORD_QUALITY.wordStart);
    assert.equal(matchQuality(typedText("  "), wireless), 0);
  });

  it("keeps at most eight typed words and ignores what is not a letter or digit", () => {
    assert.equal(typedText("a b c d e f g h i j").words.length, 8);
    assert.deepEqual(typedText("wi*"), typedText("wi"));
    assert.deepEqual(typedText("🎧").words, []);
  });
});
