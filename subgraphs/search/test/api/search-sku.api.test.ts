import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SubgraphClient } from "#kernel";
import { generateCatalog } from "../../../products/src/catalog/generate-catalog.js";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Search($query: String!) { search(query: $query, first: 5) { totalCount edges { node { id } } } }`;

/**
 * A shopper or a clerk types a SKU from a receipt, a label or an order line (the order keeps
 * each line's SKU): the search once answered no products for every one of them.
 */
describe("search API: a product found by its SKU (search subgraph, embedded index)", () => {
  let rig: EmbeddedSearchRig;
  let client: SubgraphClient;
  const hits = (query: string) => client.request<{ search: { totalCount: number; edges: { node: { id: string } }[] } }>(SEARCH, { query }).then((d) => d.search);
  const catalog = [...generateCatalog({ count: judgedCatalog().length })].map((g) => g.product);
  const plain = catalog.find((product) => product.variants.length === 1)!;
  const varied = catalog.find((product) => product.variants.length > 1)!;

  before(async () => {
    rig = await startEmbeddedSearch(judgedCatalog());
    ({ client } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it("finds a product first by its SKU in any case, and by the SKU's number alone", async () => {
    const number = plain.sku.split("-")[1]!;
    for (const query of [plain.sku, plain.sku.toLowerCase(), number]) {
      const found = await hits(query);
      assert.equal(found.edges[0]?.node.id, plain.id, `${query} finds ${plain.sku}`);
      assert.equal(found.totalCount, 1, `${query} finds that product only`);
    }
  });

  it("finds a product by one of its variants' SKUs", async () => {
    const variant = varied.variants.at(-1)!;
    assert.notEqual(variant.sku, varied.sku);
    const found = await hits(variant.sku);
    assert.equal(found.edges[0]?.node.id, varied.id, `${variant.sku} finds ${varied.name}`);
  });
});
