import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FUZZINESS, parseSearchResponse, searchBody } from "../../src/adapters/search-dsl.js";
import { EVERY_COUNT, type FacetName, type SearchRequest } from "../../src/ports/search-index.js";

const request = (forgiveTypos: boolean): SearchRequest => ({ text: "wireless headphones", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos, counts: EVERY_COUNT });

/** Every `fuzziness` setting anywhere in a body. */
function fuzzinessSettings(body: unknown): unknown[] {
  if (Array.isArray(body)) return body.flatMap(fuzzinessSettings);
  if (!body || typeof body !== "object") return [];
  return Object.entries(body).flatMap(([key, value]) => (key === "fuzziness" ? [value] : fuzzinessSettings(value)));
}

describe("search DSL: typos", () => {
  it("asks the engine for the words as typed, with no fuzzy clause at all", () => {
    assert.deepEqual(fuzzinessSettings(searchBody(request(false))), []);
  });

  it("forgives typos in both matching clauses and ranks fuzzy matches when asked", () => {
    assert.deepEqual(fuzzinessSettings(searchBody(request(true))), [FUZZINESS, FUZZINESS, FUZZINESS]);
  });
});

describe("search DSL: counts", () => {
  const counted = (total: boolean, ...facets: FacetName[]) => searchBody({ ...request(false), counts: { total, facets: new Set(facets) } });

  it("aggregates nothing and tracks the total up to one match when nothing is counted", () => {
    const body = counted(false);
    assert.equal("aggs" in body, false);
    assert.equal(body.track_total_hits, 1);
  });

  it("aggregates exactly the facets asked for, and tracks the whole total when asked", () => {
    const body = counted(true, "brands", "priceRanges");
    assert.deepEqual(Object.keys(body.aggs ?? {}).sort(), ["brands", "priceRanges"]);
    assert.equal(body.track_total_hits, true);
    assert.deepEqual(Object.keys(searchBody(request(false)).aggs ?? {}).sort(), ["brands", "categories", "options", "priceRanges"]);
  });

  it("reads an uncounted answer as null, a lone tracked match as some, and absent facets as empty", () => {
    const uncounted = { ...request(false), counts: { total: false, facets: new Set<FacetName>() } };
    const answer = parseSearchResponse(uncounted, { hits: { total: { value: 1, relation: "gte" }, hits: [] } });
    assert.deepEqual([answer.totalCount, answer.anyMatch, answer.facets], [null, true, { categories: [], brands: [], priceRanges: [], options: [] }]);
    assert.equal(parseSearchResponse(uncounted, { hits: { total: { value: 0, relation: "eq" }, hits: [] } }).anyMatch, false);
  });
});
