import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Search($query: String!) {
  search(query: $query, first: 3) {
    totalCount totalCountIsExact
    edges { node { id } }
    facets { countsAreExact categories { value count } brands { value count } }
  }
}`;

interface Counted {
  totalCount: number;
  totalCountIsExact: boolean;
  edges: { node: { id: string } }[];
  facets: { countsAreExact: boolean; categories: { value: string; count: number }[]; brands: { value: string; count: number }[] };
}

describe("search API: counts exact up to SEARCH_EXACT_COUNT_LIMIT, lower bounds past it (search subgraph, embedded index)", () => {
  const catalog = judgedCatalog();
  let capped: EmbeddedSearchRig;
  let uncapped: EmbeddedSearchRig;
  const search = (rig: EmbeddedSearchRig, query: string) => rig.client.request<{ search: Counted }>(SEARCH, { query }).then((d) => d.search);

  before(async () => {
    capped = await startEmbeddedSearch(catalog, { SEARCH_EXACT_COUNT_LIMIT: "25" });
    uncapped = await startEmbeddedSearch(catalog, { SEARCH_EXACT_COUNT_LIMIT: String(catalog.length) });
  });
  after(async () => {
    await capped?.close();
    await uncapped?.close();
  });

  it("answers a search matching more than the limit with the limit, not exact, and facet counts within it", async () => {
    const truth = await search(uncapped, "");
    assert.deepEqual([truth.totalCount, truth.totalCountIsExact, truth.facets.countsAreExact], [catalog.length, true, true]);
    const result = await search(capped, "");
    assert.deepEqual([result.totalCount, result.totalCountIsExact, result.facets.countsAreExact], [25, false, false]);
    assert.deepEqual(result.edges, truth.edges, "the page is whole");
    const truthOf = new Map([...truth.facets.categories, ...truth.facets.brands].map((f) => [f.value, f.count]));
    for (const facet of [...result.facets.categories, ...result.facets.brands]) assert.ok(facet.count <= Math.min(25, truthOf.get(facet.value)!), `${facet.value}: ${facet.count}`);
  });

  it("answers a search matching fewer than the limit exactly, and says so", async () => {
    const [result, truth] = await Promise.all([search(capped, "dryer"), search(uncapped, "dryer")]);
    assert.ok(truth.totalCount > 0 && truth.totalCount <= 25);
    assert.deepEqual(result, truth);
    assert.equal(result.totalCountIsExact, true);
  });
});
