import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SubgraphClient } from "#kernel";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Search($query: String!, $first: Int, $after: String) {
  search(query: $query, first: $first, after: $after) {
    totalCount typosForgiven
    edges { node { id name } }
    pageInfo { hasNextPage endCursor }
    facets { categories { value count } }
  }
}`;

interface Page {
  totalCount: number;
  typosForgiven: boolean;
  edges: { node: { id: string; name: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  facets: { categories: { value: string; count: number }[] };
}

describe("search API: words as typed first, typos forgiven when nothing matches (search subgraph, embedded index)", () => {
  let rig: EmbeddedSearchRig;
  let client: SubgraphClient;
  const search = (query: string, extra: { first?: number; after?: string } = {}) =>
    client.request<{ search: Page }>(SEARCH, { query, ...extra }).then((d) => d.search);

  before(async () => {
    rig = await startEmbeddedSearch(judgedCatalog());
    ({ client } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it("says when the matches forgive typos, and counts facets over the matches it shows", async () => {
    const typed = await search("dryer");
    assert.equal(typed.typosForgiven, false);
    assert.equal(typed.totalCount, 6);
    assert.ok(typed.edges.every((e) => e.node.name.includes("Hair Dryer")), "no Air Fryer one edit away");
    assert.equal(
      typed.facets.categories.reduce((sum, c) => sum + c.count, 0),
      6,
      "facets count the shown matches only",
    );
    const misspelt = await search("wirless headphones");
    assert.equal(misspelt.typosForgiven, true);
    assert.equal(misspelt.totalCount, 4);
    assert.ok(misspelt.edges.every((e) => e.node.name.includes("Wireless Headphones")));
  });

  it("answers nonsense and an empty query without forgiving anything", async () => {
    for (const query of ["zzqxv", "", "   "]) {
      const page = await search(query);
      assert.equal(page.typosForgiven, false, JSON.stringify(query));
      if (query.trim()) assert.equal(page.totalCount, 0);
      else assert.ok(page.totalCount > 0, "an empty query browses everything");
    }
  });

  it("keeps every page of a misspelt query to the same forgiving matches", async () => {
    const whole = await search("headphnoes", { first: 50 });
    assert.equal(whole.typosForgiven, true);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await search("headphnoes", { first: 1, after });
      assert.equal(page.typosForgiven, true, `page ${pages + 1}`);
      assert.equal(page.totalCount, whole.totalCount, `page ${pages + 1}`);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    assert.deepEqual(seen, whole.edges.map((e) => e.node.id));
  });

  it("answers typed and misspelt queries at once, each with its own kind of matches", async () => {
    const queries = Array.from({ length: 40 }, (_, i) => (i % 2 ? "wirless headphones" : "dryer"));
    const pages = await Promise.all(queries.map((query) => search(query)));
    for (const [i, page] of pages.entries()) {
      assert.equal(page.typosForgiven, i % 2 === 1);
      assert.equal(page.totalCount, i % 2 ? 4 : 6);
    }
  });

  it("answers a page of hits alone (no total, no facets) with the same hits, and the same branch on every page", async () => {
    const HITS_ONLY = `query($query: String!, $first: Int, $after: String) {
      search(query: $query, first: $first, after: $after) { typosForgiven edges { node { id } } pageInfo { hasNextPage endCursor } }
    }`;
    const hitsOnly = (query: string, extra: { first?: number; after?: string } = {}) =>
      client.request<{ search: Pick<Page, "typosForgiven" | "pageInfo"> & { edges: { node: { id: string } }[] } }>(HITS_ONLY, { query, ...extra }).then((d) => d.search);
    for (const query of ["dryer", "wirless headphones", "zzqxv"]) {
      const [full, bare] = await Promise.all([search(query, { first: 10 }), hitsOnly(query, { first: 10 })]);
      assert.deepEqual(
        { typosForgiven: bare.typosForgiven, ids: bare.edges.map((e) => e.node.id), hasNextPage: bare.pageInfo.hasNextPage },
        { typosForgiven: full.typosForgiven, ids: full.edges.map((e) => e.node.id), hasNextPage: full.pageInfo.hasNextPage },
        query,
      );
    }
    // Past the last page nothing is shown, yet the matches exist as typed: still not forgiving.
    const whole = await search("dryer", { first: 50 });
    const beyond = await hitsOnly("dryer", { first: 5, after: whole.pageInfo.endCursor! });
    assert.deepEqual([beyond.edges, beyond.typosForgiven], [[], false]);
  });

  it("makes for each aliased search at the root the counts it selects, also through a root fragment", async () => {
    const full = await search("dryer", { first: 5 });
    const query = `query { a: search(query: "dryer", first: 5) { totalCount } ...Facets c: search(query: "dryer", first: 5) { edges { node { id } } } }
      fragment Facets on Query { b: search(query: "dryer", first: 5) { facets { categories { value count } } } }`;
    const data = await client.request<{ a: { totalCount: number }; b: { facets: Page["facets"] }; c: { edges: { node: { id: string } }[] } }>(query);
    assert.deepEqual(data, {
      a: { totalCount: full.totalCount },
      b: { facets: full.facets },
      c: { edges: full.edges.map((e) => ({ node: { id: e.node.id } })) },
    });
  });
});
