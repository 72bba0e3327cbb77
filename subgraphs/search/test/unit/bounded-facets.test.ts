import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boundedFacets, FACET_LIMITS } from "../../src/domain/search.service.js";

describe("facet buckets a search answers (the sizes the schema declares for SearchFacets)", () => {
  it("keeps the most counted buckets within FACET_LIMITS, whatever the index returned", () => {
    const buckets = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${i}`, count: n - i }));
    const facets = boundedFacets({
      categories: buckets(150),
      brands: buckets(500),
      priceRanges: [],
      options: Array.from({ length: 30 }, (_, i) => ({ name: `o${i}`, values: buckets(80) })),
    });
    assert.equal(facets.categories.length, FACET_LIMITS.categories);
    assert.equal(facets.brands.length, FACET_LIMITS.brands);
    assert.equal(facets.options.length, FACET_LIMITS.options);
    assert.ok(facets.options.every((option) => option.values.length === FACET_LIMITS.valuesPerOption));
    assert.equal(facets.categories[0]!.value, "v0", "most counted first");
  });
});
