import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError, ErrorCode } from "#kernel";
import { engineWords, lastWordIsPrefix, MAX_SEARCH_WORDS } from "../../src/domain/search-words.js";
import { createSearchService } from "../../src/domain/search.service.js";
import { EVERY_COUNT, type SearchHits, type SearchIndex, type SearchRequest } from "../../src/ports/search-index.js";

const nothing: SearchHits = { totalCount: 0, anyMatch: false, hits: [], hasNextPage: false, facets: { categories: [], brands: [], priceRanges: [], options: [] }, countsExact: true };

/** An index that answers nothing and records the texts it was asked. */
function recordingIndex(asked: string[]): SearchIndex {
  return {
    search: async (request: SearchRequest) => {
      asked.push(request.text);
      return nothing;
    },
  } as Partial<SearchIndex> as SearchIndex;
}

describe("search: the words of a query are bounded", () => {
  it("counts words as the engine's standard tokenizer splits them, never fewer", () => {
    // OpenSearch 2.19 `_analyze` with the standard tokenizer: 東 京 タワー 家 電 игра 🎮 ภาษาไทย 한국어.
    assert.equal(engineWords("東京タワー家電 игра 🎮 ภาษาไทย 한국어").length, 9);
    // The engine reads 12 here ("2.5m", "it’s" and the family emoji as one each): 16 is an upper bound.
    assert.equal(engineWords("a usb-c cable, 2.5m; it’s fast! 🎮🎮🎮 café 👨‍👩‍👧").length, 16);
    assert.deepEqual(engineWords("  !!! ... "), []);
  });

  const oversized: [string, string][] = [
    ["one-letter words", Array.from({ length: MAX_SEARCH_WORDS + 1 }, (_, i) => "abcdefghijklmnopqrstuvwxyz"[i % 26]).join(" ")],
    ["ideographs with no space between them", "東京家電製品無線".repeat(5).slice(0, MAX_SEARCH_WORDS + 1)],
    ["emoji", "🎮".repeat(MAX_SEARCH_WORDS + 1)],
    ["one word repeated", Array.from({ length: MAX_SEARCH_WORDS + 1 }, () => "game").join(" ")],
  ];
  for (const [name, query] of oversized) {
    it(`refuses a query of more words than that (${name}) with BAD_USER_INPUT, asking the engine nothing`, async () => {
      assert.ok(query.length <= 200, "within the character limit: the word bound is what refuses it");
      const asked: string[] = [];
      const service = createSearchService({ index: recordingIndex(asked) });
      await assert.rejects(service.search({ query }, EVERY_COUNT), (error: unknown) => {
        assert.ok(error instanceof DomainError);
        assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
        assert.equal(error.extensions.field, "query");
        assert.equal(error.extensions.maxWords, MAX_SEARCH_WORDS);
        return true;
      });
      assert.deepEqual(asked, []);
    });
  }

  it("serves a query of exactly that many words, and a long product name pasted whole", async () => {
    const asked: string[] = [];
    const service = createSearchService({ index: recordingIndex(asked) });
    const most = Array.from({ length: MAX_SEARCH_WORDS }, (_, i) => "abcdefghijklmnopqrstuvwxyz"[i % 26]!.repeat(2)).join(" ");
    await service.search({ query: most }, EVERY_COUNT);
    await service.search({ query: "東京家電製品無線".repeat(4) }, EVERY_COUNT);
    await service.search({ query: "Wildpath Trail Headlamp 300 lumen, USB-C rechargeable, IPX4 waterproof: for running, camping and hiking (black, 2-pack)" }, EVERY_COUNT);
    assert.ok(asked.includes(most));
    assert.equal(new Set(asked).size, 3);
  });
});

describe("search: a query of single letters is no search", () => {
  for (const query of ["a", " e ", "x 1", "a, b; c", "é"]) {
    it(`refuses ${JSON.stringify(query)} with BAD_USER_INPUT naming the shortest word, asking the engine nothing`, async () => {
      const asked: string[] = [];
      const service = createSearchService({ index: recordingIndex(asked) });
      await assert.rejects(service.search({ query }, EVERY_COUNT), (error: unknown) => {
        assert.ok(error instanceof DomainError);
        assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
        assert.equal(error.extensions.field, "query");
        assert.equal(error.extensions.minWordLength, 2);
        assert.match(error.message, /at least 2 letters or digits/);
        return true;
      });
      assert.deepEqual(asked, []);
    });
  }

  it("serves two letters, a single letter beside a longer word, an ideograph, an emoji and no words at all (browsing)", async () => {
    const asked: string[] = [];
    const service = createSearchService({ index: recordingIndex(asked) });
    for (const query of ["tv", "yoga m", "a4", "书", "🎮", "", "  "]) await service.search({ query }, EVERY_COUNT);
    // Each is asked as typed, and again forgiving typos, as nothing matches in this index.
    assert.deepEqual([...new Set(asked)], ["tv", "yoga m", "a4", "书", "🎮", ""]);
  });

  it("matches the last word as a start when it has three letters or follows another word", () => {
    assert.equal(lastWordIsPrefix(engineWords("tv")), false);
    assert.equal(lastWordIsPrefix(engineWords("a")), false);
    assert.equal(lastWordIsPrefix(engineWords("tvx")), true);
    assert.equal(lastWordIsPrefix(engineWords("yoga m")), true);
    assert.equal(lastWordIsPrefix(engineWords("")), false);
  });
});
