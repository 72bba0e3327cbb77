import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foldedRuns, RECENCY_KEY_LENGTH, recencyKeyOf, recencyKeys } from "../../src/domain/word-recency.js";

describe("recency under a word: keys", () => {
  it("keeps each word's starts from three letters up to the longest key", () => {
    assert.deepEqual(recencyKeys(["Wireless Headphones", "Audio"]).sort(), ["aud", "audi", "audio", "headp", "headph", "headpho", "headphon", "hea", "head", "wir", "wire", "wirel", "wirele", "wireles", "wireless"].sort());
    assert.ok(recencyKeys(["Headphones"]).every((key) => key.length >= RECENCY_KEY_LENGTH.min && key.length <= RECENCY_KEY_LENGTH.max));
  });

  it("folds words as the engine does: case, accents, letters ASCII folding rewrites, full-width forms", () => {
    assert.deepEqual(foldedRuns("Crème BRÛLÉE Straße Søren Ærø ﬁne ＡＢＣ"), ["creme", "brulee", "strasse", "soren", "aero", "fine", "abc"]);
  });

  it("never starts a key inside a word: anything but a plain letter or digit splits, compatibility forms included", () => {
    // The engine reads "½inch" and "™brand" as the words "inch" and "brand"; decomposed to
    // "1⁄2inch" and "tmbrand" they would hold no key starting where the word does.
    assert.deepEqual(foldedRuns("½inch ™brand O'Neil wi-fi 3.5mm"), ["inch", "brand", "o", "neil", "wi", "fi", "3", "5mm"]);
  });
});

describe("recency under a word: the key a search reads", () => {
  it("reads the longest start of a searched word, cut to the longest key", () => {
    assert.equal(recencyKeyOf("red headphones"), "headphon");
    assert.equal(recencyKeyOf("Crème"), "creme");
    assert.equal(recencyKeyOf("usb charger"), "charger");
  });

  it("reads none when no searched word has three letters (the page reads the product-wide recency)", () => {
    assert.equal(recencyKeyOf("tv"), undefined);
    assert.equal(recencyKeyOf("wi-fi 5g"), undefined);
    assert.equal(recencyKeyOf("  "), undefined);
  });

  it("is a key of every product whose words start with each searched word, as typed", () => {
    const products = ["Quanta Premium Portable Charger", "Chargers for Søren's café, 3.5mm jack", "Crème Brûlée Torch (½inch nozzle)", "O'Neil Wetsuit"];
    const searches = ["portable charg", "charger", "soren", "søren café", "creme brul", "crème brûlée", "nozz", "o'neil wet", "3.5mm", "inch"];
    for (const search of searches) {
      const key = recencyKeyOf(search)!;
      const words = foldedRuns(search);
      for (const product of products) {
        const productWords = foldedRuns(product);
        // Matches as the engine matches (every word, the last one as typed) ...
        const matches = words.every((word, i) => productWords.some((held) => (i === words.length - 1 ? held.startsWith(word) : held === word)));
        // ... then holds the key the search reads.
        if (matches) assert.ok(recencyKeys([product]).includes(key), `${product} matches ${search} without key ${key}`);
      }
    }
  });
});
