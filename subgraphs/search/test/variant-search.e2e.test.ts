import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { startEngineSupergraph, type EngineMode, type EngineSupergraph } from "./engine-supergraph.js";

const SEARCH = `query Search($query: String!, $filter: SearchFilter, $sort: SearchSort) {
  search(query: $query, filter: $filter, sort: $sort, first: 10) {
    totalCount
    edges { node { id name priceRange { min { amount } max { amount } } } }
    facets { options { name values { value count } } priceRanges { min max count } }
  }
}`;

const AUTOCOMPLETE = `query($prefix: String!) { autocomplete(prefix: $prefix, first: 5) { kind text product { id name } category brand } }`;

/** How long a catalog write may take to reach search results (the p99 budget). */
const INDEX_BUDGET_MS = 2_000;

/**
 * An admin creates a product with options and variants; a shopper finds it by its option
 * facets, by a variant's price and by a typo in autocomplete, all through the gateway.
 */
function defineVariantSearchSuite(mode: EngineMode): void {
  describe(`variant search through the gateway [${mode}]`, { timeout: 120_000 }, () => {
    let sg: EngineSupergraph;
    let productId: string;
    const word = `Quillon${randomUUID().replaceAll("-", "").slice(0, 6).replace(/\d/g, "q")}`;
    before(async () => {
      sg = await startEngineSupergraph(mode);
      const admin = await sg.token("admin-1", ["admin"]);
      const sku = `VAR-${randomUUID().slice(0, 8).toUpperCase()}`;
      const variant = (colour: string, size: string, priceAmount: number) => ({ sku: `${sku}-${colour}-${size}`.toUpperCase(), options: [{ name: "Colour", value: colour }, { name: "Size", value: size }], priceAmount });
      const res = await sg.query(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        {
          input: {
            sku,
            name: `${word} Hoodie`,
            description: "A hoodie for the variant search test.",
            category: "clothing",
            brand: "Testwood",
            options: [{ name: "Colour", values: ["Red", "Navy"] }, { name: "Size", values: ["S", "M"] }],
            variants: [variant("Red", "S", 3_000), variant("Red", "M", 3_000), variant("Navy", "S", 4_200)],
          },
        },
        admin,
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      productId = res.data!.createProduct.id;
    });
    after(() => sg?.close());

    const search = async (query: string, filter: Record<string, unknown> = {}) => {
      const res = await sg.query(SEARCH, { query, filter });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.search;
    };

    it("finds the product by its option values and counts them in facets", async () => {
      await waitFor("the product is searchable", async () => (await search(word)).totalCount === 1, { timeoutMs: INDEX_BUDGET_MS });
      const found = await search(word, { options: [{ name: "colour", values: ["navy"] }, { name: "SIZE", values: ["s"] }] });
      assert.deepEqual(found.edges.map((e: any) => e.node.id), [productId]);
      assert.deepEqual(found.edges[0].node.priceRange, { min: { amount: 3_000 }, max: { amount: 4_200 } });
      assert.deepEqual(found.facets.options, [
        { name: "Colour", values: [{ value: "Navy", count: 1 }, { value: "Red", count: 1 }] },
        { name: "Size", values: [{ value: "M", count: 1 }, { value: "S", count: 1 }] },
      ]);
      assert.equal((await search(word, { options: [{ name: "Colour", values: ["Navy"] }, { name: "Size", values: ["M"] }] })).totalCount, 0, "no Navy in M");
    });

    it("matches a price filter on any variant's price", async () => {
      await waitFor("the product is searchable", async () => (await search(word)).totalCount === 1, { timeoutMs: INDEX_BUDGET_MS });
      assert.equal((await search(word, { price: { min: 4_000, max: 5_000 } })).totalCount, 1, "the Navy S at 4,200");
      assert.equal((await search(word, { price: { min: 3_500, max: 4_000 } })).totalCount, 0);
    });

    it("suggests it for a typo'd prefix and for a word inside its name", async () => {
      const typo = `${word.slice(0, 2)}${word.slice(3, 7)}`.toLowerCase();
      for (const prefix of [typo, `${word.slice(3, 9).toLowerCase()}`, `${word.toLowerCase()} hood`]) {
        await waitFor(
          `"${prefix}" suggests the product`,
          async () => {
            const res = await sg.query(AUTOCOMPLETE, { prefix });
            assert.equal(res.errors, undefined, JSON.stringify(res.errors));
            return res.data!.autocomplete.some((s: any) => s.kind === "PRODUCT" && s.product.id === productId && s.text === `${word} Hoodie`);
          },
          { timeoutMs: INDEX_BUDGET_MS },
        );
      }
    });
  });
}

defineVariantSearchSuite("embedded");
describeWithRealEngine({ suite: "variant search through the gateway", engine: "ferretdb+opensearch+kafka+redis", variable: "OPENSEARCH_URL" }, () => defineVariantSearchSuite("real"));
