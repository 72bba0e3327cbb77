import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Browse($sort: SearchSort, $after: String, $filter: SearchFilter) {
  search(query: "", sort: $sort, first: 7, after: $after, filter: $filter) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;

interface Page {
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe("search API: browsing without words by relevance (search subgraph, embedded index)", () => {
  const catalog = judgedCatalog();
  let rig: EmbeddedSearchRig;
  const page = (variables: Record<string, unknown>) => rig.client.request<{ search: Page }>(SEARCH, variables).then((d) => d.search);

  before(async () => {
    rig = await startEmbeddedSearch(catalog);
  });
  after(async () => {
    await rig?.close();
  });

  it("lists the newest first, as NEWEST does, on every page, with cursors of its own sort", async () => {
    const filter = { categories: ["garden"] };
    const newest = catalog.filter((d) => d.category === "garden").sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)).map((d) => d.id);
    const paged: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const result = await page({ sort: "RELEVANCE", filter, after: cursor });
      paged.push(...result.edges.map((e) => e.node.id));
      if (!result.pageInfo.hasNextPage) break;
      cursor = result.pageInfo.endCursor!;
    }
    assert.deepEqual(paged, newest);
    await assert.rejects(page({ sort: "NEWEST", filter, after: cursor }), /another sort order/, "a relevance cursor stays a relevance cursor");
  });
});
