import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "#kernel";
import { countsBody, hitsBody, parseSearchResponse } from "../../src/adapters/search-dsl.js";
import { facetValuesBody, parseSuggestResponse, suggestBody } from "../../src/adapters/suggest-dsl.js";
import { SearchEngineIndex, type EngineRequest } from "../../src/adapters/search-engine-index.js";
import { SEARCH_CLIENT_WAIT_MS, SEARCH_TIME_LIMIT_MS } from "../../src/adapters/search-time-limit.js";
import { typedText } from "../../src/domain/suggestion-match.js";
import { EVERY_COUNT, type SearchRequest } from "../../src/ports/search-index.js";

const request: SearchRequest = { text: "wireless headphones", filter: { price: { min: 1 } }, sort: "RELEVANCE", first: 20, forgiveTypos: true, counts: EVERY_COUNT };
const answer = (extra: Record<string, unknown> = {}) => ({ hits: { total: { value: 3 }, hits: [] }, ...extra });
const refusedTooComplex = (error: unknown) => {
  const extensions = (error as { extensions?: { code?: string; timeLimitMs?: number } }).extensions;
  return extensions?.code === ErrorCode.QUERY_TOO_COMPLEX && extensions.timeLimitMs === SEARCH_TIME_LIMIT_MS;
};

describe("search time limit: the engine stops every read a search makes", () => {
  it("tells the engine to stop each search body at the limit: the page, the counts, past the end, suggestions and facet values", () => {
    const bodies = [hitsBody(request), countsBody(request), countsBody({ ...request, counts: { total: false, facets: new Set() } }, { whetherAny: true }), suggestBody(typedText("hedph"), 8), facetValuesBody()];
    for (const body of bodies) assert.equal((body as { timeout?: string }).timeout, `${SEARCH_TIME_LIMIT_MS}ms`);
  });

  it("refuses an answer the engine cut at the limit as QUERY_TOO_COMPLEX instead of reading partial hits or counts", () => {
    assert.throws(() => parseSearchResponse(request, answer({ timed_out: true }), answer()), refusedTooComplex);
    assert.throws(() => parseSearchResponse(request, answer(), answer({ timed_out: true })), refusedTooComplex);
    assert.throws(() => parseSuggestResponse(answer({ timed_out: true })), refusedTooComplex);
    assert.equal(parseSearchResponse(request, answer({ timed_out: false }), answer({ timed_out: false })).totalCount, 3);
  });

  it("waits for a search only a little past the limit and never retries it, while writes keep the client's defaults", async () => {
    const sent: EngineRequest[] = [];
    const index = new SearchEngineIndex("fake", async (engineRequest) => {
      sent.push(engineRequest);
      if (engineRequest.path.endsWith("/_msearch")) return { status: 200, body: { responses: [answer(), answer()] } };
      if (engineRequest.path.endsWith("/_count")) return { status: 200, body: { count: 1 } };
      if (engineRequest.path.startsWith("/_alias")) return { status: 200, body: { products_1: {} } };
      return { status: 200, body: { ...answer(), aggregations: { brands: { buckets: [] }, categories: { buckets: [] } } } };
    }, { alias: "products" });
    await index.search(request);
    await index.search({ ...request, counts: { total: false, facets: new Set() } });
    await index.suggestProducts(typedText("hedph"), 8);
    await index.facetValues();
    const reads = sent.filter((each) => /_m?search$/.test(each.path));
    assert.equal(reads.length, 4);
    for (const read of reads) assert.equal(read.timeoutMs, SEARCH_CLIENT_WAIT_MS, read.path);
    sent.length = 0;
    await index.apply([{ kind: "delete", id: "prod_1", version: 2 }]).catch(() => undefined);
    await index.count();
    assert.ok(sent.length > 0 && sent.every((each) => each.timeoutMs === undefined));
  });
});
