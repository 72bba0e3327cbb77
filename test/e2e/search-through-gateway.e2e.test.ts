import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { startEngineSupergraph, type EngineMode, type EngineSupergraph } from "../../subgraphs/search/test/engine-supergraph.js";
import { OpenSearchIndex } from "../../subgraphs/search/src/adapters/open-search-index.js";
import { productsSubgraphCatalog } from "../../subgraphs/search/src/adapters/products-subgraph-catalog.js";
import { reindexCatalog } from "../../subgraphs/search/src/domain/reindex.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";

const SEARCH = `query Search($query: String!, $filter: SearchFilter, $sort: SearchSort, $first: Int, $after: String) {
  search(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name brand category price { amount currency } images { url } } }
    pageInfo { hasNextPage endCursor }
    facets { categories { value count } brands { value count } priceRanges { min max count } }
  }
}`;

/** How long a catalog write may take to reach search results (the p99 budget). */
const INDEX_BUDGET_MS = 2_000;

function defineSearchSuite(mode: EngineMode): void {
  describe(`search through the gateway [${mode}]`, { timeout: 120_000 }, () => {
    let sg: EngineSupergraph;
    let admin: string;
    before(async () => {
      // The reindex case searches as fast as four clients can: above the per-address search budget.
      sg = await startEngineSupergraph(mode, { RATE_LIMIT_SEARCH_PER_MINUTE: "1000000" });
      admin = await sg.token("admin-1", ["admin"]);
    });
    after(() => sg?.close());

    const search = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await sg.query(SEARCH, { query, ...variables });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.search;
    };

    const createProduct = async (name: string, priceAmount: number) => {
      const sku = `E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
      const res = await sg.query(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku, name, description: "Made for the search test.", priceAmount, category: "garden", brand: "Testwood", images: [{ url: `products/${sku.toLowerCase()}/1.jpg`, alt: "front" }] } },
        admin,
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.createProduct.id as string;
    };

    it("says alike over HTTP and over the WebSocket whether typos were forgiven", async () => {
      const TYPED = `query Typed($q: String!) { search(query: $q, first: 5) { totalCount typosForgiven edges { node { id } } } }`;
      const client = wsClient(sg.gatewayUrl);
      try {
        for (const [q, forgiven] of [["wirless headphones", true], ["wireless headphones", false]] as const) {
          const overHttp = await sg.query(TYPED, { q });
          assert.equal(overHttp.errors, undefined, JSON.stringify(overHttp.errors));
          assert.equal(overHttp.data!.search.typosForgiven, forgiven, q);
          assert.ok(overHttp.data!.search.totalCount > 0, q);
          const [overSocket] = await collectSubscription(client, TYPED, { q }, () => true, 10_000);
          assert.deepEqual(overSocket!.data, overHttp.data, `${q} over the WebSocket`);
        }
      } finally {
        await client.dispose();
      }
    });

    it("finds a product despite a typo and returns its fields from the products subgraph, with facets", async () => {
      const result = await search("wirless headphnes", { first: 5 });
      const top = result.edges[0].node;
      assert.equal(top.id, "prod_0000031");
      assert.equal(top.name, "Pixelon Pro Wireless Headphones");
      assert.ok(Number.isInteger(top.price.amount));
      // Without IMAGE_CDN_URL, images are served by this gateway's own /images origin.
      assert.equal(new URL(top.images[0].url).origin, new URL(sg.gatewayUrl).origin);
      assert.match(new URL(top.images[0].url).pathname, /^\/images\/products\//);
      assert.deepEqual(result.facets.categories, [{ value: "electronics", count: result.totalCount }]);
      assert.equal(result.facets.priceRanges.reduce((sum: number, r: { count: number }) => sum + r.count, 0), result.totalCount);
    });

    it("pages with cursors and refuses a cursor from another sort order", async () => {
      const page1 = await search("", { sort: "PRICE_ASC", first: 15 });
      const page2 = await search("", { sort: "PRICE_ASC", first: 15, after: page1.pageInfo.endCursor });
      const prices = [...page1.edges, ...page2.edges].map((e: any) => e.node.price.amount);
      assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
      assert.equal(new Set([...page1.edges, ...page2.edges].map((e: any) => e.node.id)).size, 30);
      const wrong = await sg.query(SEARCH, { query: "", sort: "NEWEST", after: page1.pageInfo.endCursor });
      assert.equal(wrong.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    });

    it("reflects a product's new name and price within 2 s, then drops it within 2 s of its deletion", async () => {
      const word = `zephyr${randomUUID().slice(0, 6)}`;
      const id = await createProduct(`Garden Gnome ${word}`, 1500);
      await waitFor("the new product is searchable", async () => (await search(word)).totalCount === 1, { timeoutMs: INDEX_BUDGET_MS });

      const renamed = `quasar${randomUUID().slice(0, 6)}`;
      const updatedAt = Date.now();
      const update = await sg.query(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "Garden Gnome ${renamed}", priceAmount: 2750 }) { id } }`, { id }, admin);
      assert.equal(update.errors, undefined);
      await waitFor(
        "search shows the new name and price",
        async () => {
          const found = await search(renamed, { filter: { price: { min: 2700, max: 2800 } } });
          return found.totalCount === 1 && found.edges[0].node.id === id;
        },
        { timeoutMs: INDEX_BUDGET_MS },
      );
      const elapsed = Date.now() - updatedAt;
      assert.ok(elapsed <= INDEX_BUDGET_MS, `indexed after ${elapsed} ms`);
      assert.equal((await search(word)).totalCount, 0, "the old name no longer matches");

      const removal = await sg.query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id }, admin);
      assert.equal(removal.errors, undefined);
      await waitFor("the deleted product leaves search", async () => (await search(renamed)).totalCount === 0, { timeoutMs: INDEX_BUDGET_MS });
    });

    it("suggests product names for a prefix", async () => {
      const res = await sg.query(`{ autocomplete(prefix: "wireless h", first: 3) { text product { id name } } }`);
      assert.equal(res.errors, undefined);
      assert.ok(res.data!.autocomplete.length > 0);
      for (const s of res.data!.autocomplete) assert.equal(s.text, s.product.name);
    });

    it("marks public catalog reads cacheable for CDNs and the gateway, and writes not", async () => {
      const detail = await sg.query(`{ product(id: "prod_0000001") { id name price { amount } images { url } attributes { name } } }`);
      assert.equal(detail.headers.get("cache-control"), "max-age=60, public");
      const found = await sg.query(`{ search(query: "lamp") { totalCount edges { node { id name price { amount } } } facets { brands { value } } } }`);
      assert.equal(found.headers.get("cache-control"), "max-age=30, public");
      const listing = await sg.query(`{ products(first: 2) { edges { node { id name } } pageInfo { hasNextPage } } }`);
      assert.equal(listing.headers.get("cache-control"), "max-age=30, public");
      const write = await sg.query(`mutation { deleteProduct(id: "prod_missing") }`, {}, admin);
      assert.equal(write.headers.get("cache-control"), "no-store");
    });

    if (mode === "real") {
      it("reindexes with no failed query while searches run, and misses no product after the switch", async () => {
        const extra = await createProduct(`Reindex Lantern ${randomUUID().slice(0, 6)}`, 999);
        await waitFor("the extra product is searchable", async () => (await search("")).totalCount === 41, { timeoutMs: INDEX_BUDGET_MS });
        const index = await OpenSearchIndex.connect(sg.config.search.openSearchUrl!, { alias: sg.config.search.indexName, retireDelayMs: 1_000 });
        const catalog = productsSubgraphCatalog({ url: sg.subgraphUrls.products!, internalSecret: sg.config.auth.internalSecret });
        let running = true;
        const failures: unknown[] = [];
        let queries = 0;
        const load = Promise.all(
          Array.from({ length: 4 }, async () => {
            while (running) {
              const res = await sg.query(SEARCH, { query: "", first: 1 });
              queries += 1;
              if (res.errors || res.data?.search.totalCount !== 41) failures.push(res.errors ?? res.data?.search.totalCount);
            }
          }),
        );
        const { indexed } = await reindexCatalog({ index, catalog, batchSize: 7 });
        // Keep querying across the switch and the old index's retirement.
        await index.close();
        running = false;
        await load;
        await catalog.close();
        assert.equal(indexed, 41);
        assert.ok(queries > 20, `${queries} queries ran during the reindex`);
        assert.deepEqual(failures, []);
        assert.equal((await search("")).totalCount, 41);
        assert.equal((await search("reindex lantern")).edges[0].node.id, extra);
      });
    }
  });
}

defineSearchSuite("embedded");
describeWithRealEngine({ suite: "search through the gateway", engine: "ferretdb+opensearch+kafka+redis", variable: "OPENSEARCH_URL" }, () => defineSearchSuite("real"));
