import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeCursor } from "#kernel";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Search($query: String!, $sort: SearchSort, $after: String) {
  search(query: $query, sort: $sort, first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;

interface Page {
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const refusedWith = (code: string) => (error: unknown) => {
  assert.equal((error as { extensions?: { code?: string } }).extensions?.code, code, String(error));
  return true;
};

describe("search API: cursors across releases (search subgraph, embedded index)", () => {
  const catalog = judgedCatalog();
  let rig: EmbeddedSearchRig;
  const page = (variables: Record<string, unknown>) => rig.client.request<{ search: Page }>(SEARCH, variables).then((d) => d.search);
  const ids = (result: Page) => result.edges.map((e) => e.node.id);

  before(async () => {
    rig = await startEmbeddedSearch(catalog);
  });
  after(async () => {
    await rig?.close();
  });

  it("refuses a relevance cursor of the earlier format as outdated, with or without words, rather than read it in another order", async () => {
    // The earlier format: the sort asked and the key, no order, no ranking. Without words the
    // release before paged by score then id, so its key was a score of 1.
    const [first] = catalog;
    await assert.rejects(page({ query: "", after: encodeCursor({ sort: "RELEVANCE", key: [1, first!.id] }) }), refusedWith("CURSOR_OUTDATED"));
    await assert.rejects(page({ query: "headphones", after: encodeCursor({ sort: "RELEVANCE", key: [7.25, first!.id] }) }), refusedWith("CURSOR_OUTDATED"));
  });

  it("reads a newest-first or price cursor of the earlier format as it was meant", async () => {
    for (const sort of ["NEWEST", "PRICE_ASC"]) {
      const whole = await page({ query: "headphones", sort });
      const firstHit = catalog.find((d) => d.id === ids(whole)[0])!;
      const key = sort === "NEWEST" ? firstHit.createdAt : firstHit.priceAmount;
      const continued = await page({ query: "headphones", sort, after: encodeCursor({ sort, key: [key, firstHit.id] }) });
      assert.deepEqual(ids(continued).slice(0, 2), ids(whole).slice(1, 3), sort);
    }
  });

  it("refuses a relevance cursor made under another ranking as outdated", async () => {
    const current = await page({ query: "headphones" });
    const cursor = JSON.parse(Buffer.from(current.pageInfo.endCursor!, "base64url").toString()) as Record<string, unknown>;
    assert.equal(cursor.order, "RELEVANCE");
    await assert.rejects(page({ query: "headphones", after: encodeCursor({ ...cursor, ranking: Number(cursor.ranking) - 1 }) }), refusedWith("CURSOR_OUTDATED"));
    await assert.rejects(page({ query: "headphones", after: encodeCursor({ ...cursor, v: 3 }) }), refusedWith("CURSOR_OUTDATED"));
  });

  it("refuses a cursor of a search with words in one without, where the order differs", async () => {
    const withWords = await page({ query: "headphones" });
    await assert.rejects(page({ query: "", after: withWords.pageInfo.endCursor }), refusedWith("BAD_USER_INPUT"));
  });
});
