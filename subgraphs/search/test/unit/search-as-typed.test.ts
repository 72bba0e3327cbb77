import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_FORGIVEN_WORD_LENGTH, MAX_FORGIVEN_WORDS, searchAsTyped } from "../../src/domain/search-as-typed.js";
import type { SearchHits, SearchIndex, SearchRequest } from "../../src/ports/search-index.js";

const nothing: SearchHits = { totalCount: 0, anyMatch: false, hits: [], hasNextPage: false, facets: { categories: [], brands: [], priceRanges: [], options: [] }, countsExact: true };

/** An index matching nothing, recording whether each search forgave typos. */
function recordingIndex(asked: boolean[]): SearchIndex {
  return {
    search: async (request: SearchRequest) => {
      asked.push(request.forgiveTypos);
      return nothing;
    },
  } as Partial<SearchIndex> as SearchIndex;
}

const searched = async (text: string) => {
  const asked: boolean[] = [];
  const result = await searchAsTyped(recordingIndex(asked), { text, filter: {}, sort: "RELEVANCE", first: 20, counts: { total: true, facets: new Set() } });
  return { asked, typosForgiven: result.typosForgiven };
};

describe("search as typed: the forgiving pass is bounded", () => {
  it("searches a misspelt query of a few words again with typos forgiven", async () => {
    const words = Array.from({ length: MAX_FORGIVEN_WORDS }, (_, i) => `qzxwvuts${"abcdefghij"[i]}`).join(" ");
    assert.deepEqual((await searched(words)).asked, [false, true]);
    assert.deepEqual((await searched("wirelss headphnes")).asked, [false, true]);
  });

  it("does not forgive typos in a query with more long words than that: nothing matches, and the engine builds no automaton for them", async () => {
    // 20 misspelt words of 9 letters cost OpenSearch 270-440 ms of CPU at 1,000,000 products.
    const twenty = Array.from({ length: 20 }, (_, i) => `qzxwvuts${"abcdefghij"[i % 10]}`).join(" ");
    assert.deepEqual(await searched(twenty), { asked: [false], typosForgiven: false });
    const oneTooMany = Array.from({ length: MAX_FORGIVEN_WORDS + 1 }, (_, i) => `wordy${"abcdefghij"[i]}`).join(" ");
    assert.deepEqual((await searched(oneTooMany)).asked, [false]);
  });

  it("does not forgive typos when a word is longer than any a typo is forgiven in", async () => {
    assert.deepEqual((await searched("q".repeat(MAX_FORGIVEN_WORD_LENGTH))).asked, [false, true]);
    assert.deepEqual(await searched(`headphnes ${"q".repeat(MAX_FORGIVEN_WORD_LENGTH + 1)}`), { asked: [false], typosForgiven: false });
  });

  it("counts only the words long enough to be forgiven a typo: short ones cost no automaton", async () => {
    assert.deepEqual((await searched("a usb c to usb c cable for the car with a fast chargr")).asked, [false, true]);
  });
});
