import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countsBody, FUZZINESS, hitsBody, parseSearchResponse } from "../../src/adapters/search-dsl.js";
import { parseSuggestResponse, suggestBody } from "../../src/adapters/suggest-dsl.js";
import { typedText } from "../../src/domain/suggestion-match.js";
import { EVERY_COUNT, type FacetName, type SearchRequest } from "../../src/ports/search-index.js";

const request = (forgiveTypos: boolean): SearchRequest => ({ text: "wireless headphones", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos, counts: EVERY_COUNT });

/** Every `fuzziness` setting anywhere in a body. */
function fuzzinessSettings(body: unknown): unknown[] {
  if (Array.isArray(body)) return body.flatMap(fuzzinessSettings);
  if (!body || typeof body !== "object") return [];
  return Object.entries(body).flatMap(([key, value]) => (key === "fuzziness" ? [value] : fuzzinessSettings(value)));
}

/**
 * The fuzzy automata a body makes the engine build per typed word: one per field of each
 * clause with a `fuzziness` (a multi_match has several fields, match and match_bool_prefix one).
 */
function fuzzyFieldsPerWord(body: unknown): number {
  if (Array.isArray(body)) return body.reduce((sum: number, each) => sum + fuzzyFieldsPerWord(each), 0);
  if (!body || typeof body !== "object") return 0;
  const node = body as Record<string, unknown>;
  const multi = node.multi_match as { fields?: string[]; fuzziness?: unknown } | undefined;
  if (multi?.fuzziness !== undefined) return multi.fields?.length ?? 1;
  for (const kind of ["match", "match_bool_prefix"]) {
    const clause = node[kind] as Record<string, { fuzziness?: unknown }> | undefined;
    if (clause && Object.values(clause).some((field) => field?.fuzziness !== undefined)) return 1;
  }
  return Object.values(node).reduce((sum: number, each) => sum + fuzzyFieldsPerWord(each), 0);
}

describe("search DSL: typos", () => {
  it("asks the engine for the words as typed, with no fuzzy clause at all", () => {
    assert.deepEqual(fuzzinessSettings([hitsBody(request(false)), countsBody(request(false))]), []);
  });

  it("forgives typos in both matching clauses and ranks fuzzy matches when asked, and counts what matches so", () => {
    assert.deepEqual(fuzzinessSettings(hitsBody(request(true))), [FUZZINESS, FUZZINESS, FUZZINESS]);
    assert.deepEqual(fuzzinessSettings(countsBody(request(true))), [FUZZINESS, FUZZINESS]);
  });

  it("builds at most three fuzzy automata per word for the page and two for the counts, however many fields rank a match", () => {
    // Each automaton is a walk over a field's term dictionary, matches or not: over the five
    // ranking fields a forgiving page cost twice what it does with the name alone.
    assert.equal(fuzzyFieldsPerWord(hitsBody(request(true))), 3);
    assert.equal(fuzzyFieldsPerWord(countsBody(request(true))), 2);
  });
});

describe("search DSL: counts", () => {
  const counted = (total: boolean, ...facets: FacetName[]) => countsBody({ ...request(false), counts: { total, facets: new Set(facets) } });

  it("sends no counting search when nothing is counted, and the page never counts", () => {
    assert.equal(counted(false), undefined);
    const page = hitsBody(request(false));
    assert.equal("aggs" in page, false);
    assert.equal(page.track_total_hits, 1);
  });

  it("aggregates exactly the facets asked for over the words as a filter, and tracks the whole total when asked", () => {
    const body = counted(true, "brands", "priceRanges")!;
    assert.deepEqual(Object.keys(body.aggs ?? {}).sort(), ["brands", "priceRanges"]);
    assert.equal(body.track_total_hits, true);
    assert.equal(body.size, 0);
    assert.equal("must" in body.query.bool, false, "nothing is scored");
    assert.deepEqual(Object.keys(countsBody(request(false))!.aggs ?? {}).sort(), ["brands", "categories", "options", "priceRanges"]);
    assert.equal(counted(false, "brands")!.track_total_hits, 1);
  });

  it("stops counting one match past a cap, the total and the facets alike, and counts nothing when nothing is asked", () => {
    const capped = (total: boolean, ...facets: FacetName[]) => countsBody({ ...request(false), counts: { total, facets: new Set(facets), exactUpTo: 1_000 } });
    for (const body of [capped(true), capped(true, "brands"), capped(false, "categories")]) {
      assert.deepEqual([body!.track_total_hits, (body as { terminate_after?: number }).terminate_after], [1_001, 1_001]);
    }
    assert.equal(capped(false), undefined);
  });

  it("reads a capped count: exact up to the cap, the cap and not exact past it, facet counts at most the cap", () => {
    const capped = { ...request(false), counts: { total: true, facets: new Set<FacetName>(["brands"]), exactUpTo: 10 } };
    const answer = (value: number, brandCount: number) =>
      parseSearchResponse(capped, { hits: { hits: [] } }, { hits: { total: { value, relation: value > 10 ? "gte" : "eq" }, hits: [] }, aggregations: { brands: { buckets: [{ key: "Acme", doc_count: brandCount }] } } });
    const at = answer(10, 10);
    assert.deepEqual([at.totalCount, at.countsExact, at.facets.brands], [10, true, [{ value: "Acme", count: 10 }]]);
    const past = answer(11, 11);
    assert.deepEqual([past.totalCount, past.countsExact, past.facets.brands], [10, false, [{ value: "Acme", count: 10 }]]);
  });

  it("reads an uncounted answer as null, a page's hit or a lone tracked match as some, and absent facets as empty", () => {
    const uncounted = { ...request(false), counts: { total: false, facets: new Set<FacetName>() } };
    const answer = parseSearchResponse(uncounted, { hits: { hits: [] } }, { hits: { total: { value: 1, relation: "gte" }, hits: [] } });
    assert.deepEqual([answer.totalCount, answer.anyMatch, answer.facets], [null, true, { categories: [], brands: [], priceRanges: [], options: [] }]);
    assert.equal(parseSearchResponse(uncounted, { hits: { hits: [] } }, { hits: { total: { value: 0, relation: "eq" }, hits: [] } }).anyMatch, false);
    assert.equal(parseSearchResponse(uncounted, { hits: { hits: [hit("prod_1", 2)] } }).anyMatch, true);
  });
});

const hit = (id: string, score: number) => ({ sort: [score, id], fields: { "name.raw": [id], priceAmount: [100], currency: ["USD"] } });

describe("search DSL: a page's hits", () => {
  it("reads what a result shows from doc values and no stored field (no _source, no _id), the id from the sort", () => {
    for (const sort of ["RELEVANCE", "PRICE_ASC", "PRICE_DESC", "NEWEST"] as const) {
      const body = hitsBody({ ...request(false), sort });
      assert.equal(body.stored_fields, "_none_", sort);
      assert.equal("_source" in body, false, sort);
      assert.deepEqual(body.docvalue_fields, ["name.raw", "priceAmount", "currency"], sort);
      assert.deepEqual(body.sort.at(-1), { id: "asc" }, `${sort}: the id is the last sort value`);
    }
    const page = parseSearchResponse(request(false), { hits: { hits: [{ sort: [1_767_225_600_000, "prod_7"], fields: { "name.raw": ["Lantern  Twin"], priceAmount: [4999], currency: ["EUR"] } }] } });
    assert.deepEqual(page.hits, [{ id: "prod_7", name: "Lantern  Twin", price: { amount: 4999, currency: "EUR" }, sortKey: [1_767_225_600_000, "prod_7"] }]);
  });

  it("reads autocomplete's products from their sort values and no stored field (no _source, no _id)", () => {
    const body = suggestBody(typedText("pixel hedph"), 8);
    assert.equal(body.stored_fields, "_none_");
    assert.equal("_source" in body, false);
    assert.deepEqual(body.sort.at(-1), { id: "asc" });
    const suggestions = parseSuggestResponse({ hits: { hits: [{ sort: [7, 120, "Pixelon Pro Wireless Headphones", "prod_0000031"] }] } });
    assert.deepEqual(suggestions, [{ productId: "prod_0000031", quality: 7, popularity: 120, text: "Pixelon Pro Wireless Headphones" }]);
  });

  it("refuses a hit that came without a shown field rather than show it wrong", () => {
    assert.throws(() => parseSearchResponse(request(false), { hits: { hits: [{ sort: [1, "prod_7"], fields: { "name.raw": ["Lantern"], currency: ["EUR"] } }] } }), /prod_7 came without its priceAmount/);
  });
});

/** The clauses directly under a body's top-level `bool`, by occurrence. */
const topLevel = (body: ReturnType<typeof hitsBody>) => body.query.bool as { must?: unknown[]; filter?: unknown[]; should?: unknown[] };
const kinds = (clauses: unknown[] = []) => clauses.map((clause) => Object.keys(clause as object)[0]);

describe("search DSL: a relevance page", () => {
  it("requires the words as typed as a filter and scores through one flat disjunction beside it", () => {
    // Recency's blocks cover the catalog and each is bounded before it is skipped: nested under a
    // required clause, the words' tree was walked twice a block (BENCHMARKS.md, "One flat disjunction").
    const filtered = { ...request(false), filter: { categories: ["audio"] } };
    const query = topLevel(hitsBody(filtered));
    assert.equal(query.must, undefined, "nothing scores as a required clause");
    assert.deepEqual(query.filter, [(countsBody(filtered)!.query.bool.filter as unknown[])[0], { terms: { category: ["audio"] } }], "the page requires what the counts count");
    assert.deepEqual(kinds(query.should), ["match", "match_bool_prefix", "multi_match", "match_phrase", "rank_feature"]);
  });

  it("reads recency under a start of a searched word, not from the feature every product holds", () => {
    // The product-wide feature's blocks cover the catalog: a page stepped through one per 128
    // products whatever the words (BENCHMARKS.md, "Recency read through a word").
    const recency = (body: ReturnType<typeof hitsBody>) => (topLevel(body).should!.at(-1) as { rank_feature: { field: string; log: unknown; boost: number } }).rank_feature;
    const byWord = recency(hitsBody(request(false)));
    const productWide = recency(hitsBody(request(false), { recencyByWord: false }));
    assert.equal(byWord.field, "wordRecency.wireless");
    assert.equal(productWide.field, "recency", "an index awaiting its upgrade rebuild holds no recency under words");
    assert.deepEqual({ ...byWord, field: "recency" }, productWide, "the same function of the same value");
    assert.equal(recency(hitsBody({ ...request(false), text: "tv" })).field, "recency", "no word long enough for a key");
  });

  it("keeps the words as a scoring clause where the flat sum could round differently or nothing is ranked", () => {
    // Typos forgiven: fuzzy matches score fractions of a boost. Other orders and no words: no score.
    for (const body of [hitsBody(request(true)), hitsBody({ ...request(false), sort: "NEWEST" }), hitsBody({ ...request(false), text: " " })]) {
      assert.equal(kinds(topLevel(body).must).length, 1);
    }
    assert.deepEqual(kinds(topLevel(hitsBody(request(true))).should), ["rank_feature"]);
  });
});
