import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildSchema, parse } from "graphql";
import { createPublicCatalogPolicy, productsIn, type CachePlan } from "../src/performance/public-catalog-policy.js";

const supergraphSdl = readFileSync("schema/supergraph.graphql", "utf8");
// The composed supergraph parses as plain SDL; its types and fields are all the policy reads.
const schema = buildSchema(supergraphSdl, { assumeValidSDL: true });
const policy = createPublicCatalogPolicy(supergraphSdl);
const plan = (query: string, operationName?: string): CachePlan => policy(schema, parse(query), operationName);
const refusal = (query: string) => {
  const result = plan(query);
  return result.cacheable ? undefined : result.reason;
};

describe("public catalog cache policy", () => {
  it("accepts a product with stock: products and inventory are public catalog subgraphs", () => {
    const result = plan(`query($id: ID!) { product(id: $id) { id name price { amount currency } images { url } stock inStock } }`);
    assert.equal(result.cacheable, true);
    assert.ok(result.cacheable && !result.listing && !result.untraceable);
  });

  it("marks listings and search as depending on which products exist", () => {
    for (const query of [`{ products(first: 20) { edges { node { id } } } }`, `{ search(query: "lamp") { totalCount edges { node { id name } } } }`]) {
      const result = plan(query);
      assert.ok(result.cacheable && result.listing, query);
    }
  });

  it("refuses the caller's own data: cart, orders, account", () => {
    assert.match(refusal(`{ cart { id } }`)!, /root field cart/);
    assert.match(refusal(`{ me { id } }`)!, /root field me/);
    assert.match(refusal(`{ product(id: "p") { id } cart { id } }`)!, /root field cart/);
  });

  it("refuses mutations, introspection and conditional fields", () => {
    assert.match(refusal(`mutation { deleteProduct(id: "p") }`)!, /mutation/);
    assert.match(refusal(`{ __schema { types { name } } }`)!, /introspection/);
    assert.match(refusal(`query($s: Boolean!) { product(id: "p") { id name @include(if: $s) } }`)!, /directives/);
  });

  it("refuses a field a private subgraph resolves, even under a public root field", () => {
    const withPrivateField = supergraphSdl.replace(
      /(type Product\n[\s\S]*?\{\n)/,
      `$1  "test only"\n  myWishlisted: Boolean! @join__field(graph: ACCOUNTS)\n`,
    );
    assert.notEqual(withPrivateField, supergraphSdl);
    const strict = createPublicCatalogPolicy(withPrivateField);
    const result = strict(buildSchema(withPrivateField, { assumeValidSDL: true }), parse(`{ product(id: "p") { id myWishlisted } }`), undefined);
    assert.equal(result.cacheable, false);
    assert.ok(!result.cacheable && /Product.myWishlisted/.test(result.reason));
  });

  it("follows fragments and notes products selected without their id", () => {
    const withFragment = plan(`query { product(id: "p") { ...Card } } fragment Card on Product { id name }`);
    assert.ok(withFragment.cacheable && !withFragment.untraceable);
    const withoutId = plan(`{ product(id: "p") { name } }`);
    assert.ok(withoutId.cacheable && withoutId.untraceable);
  });

  it("finds every product id in a response, through lists and aliases", () => {
    const result = plan(`{ products(first: 2) { edges { node { key: id name } } } top: product(id: "x") { id } gone: product(id: "y") { id } }`);
    assert.ok(result.cacheable);
    const data = { products: { edges: [{ node: { key: "a", name: "A" } }, { node: { key: "b", name: "B" } }] }, top: { id: "x" }, gone: null };
    const found = productsIn(data, result.locators);
    assert.deepEqual([...found.ids].sort(), ["a", "b", "x"]);
    assert.equal(found.missing, true, "a product that came back null depends on which products exist");
  });
});
