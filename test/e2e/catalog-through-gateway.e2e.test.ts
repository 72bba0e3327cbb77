import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { postGraphQL } from "../support/graphql-client.js";

describe("catalog through the gateway", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { IMAGE_CDN_URL: "https://img.storefront.test/catalog/" } });
  });
  after(() => sg.close());

  it("lists products newest first and pages with the cursor", async () => {
    const page1 = await sg.query(`{ products(first: 3) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`);
    assert.equal(page1.errors, undefined);
    const { edges, pageInfo, totalCount } = page1.data!.products;
    assert.equal(totalCount, 40);
    assert.equal(edges.length, 3);
    assert.equal(pageInfo.hasNextPage, true);
    const page2 = await sg.query(`query($after: String) { products(first: 3, after: $after) { edges { node { id } } } }`, { after: pageInfo.endCursor });
    const ids = [...edges, ...page2.data!.products.edges].map((e: any) => e.node.id);
    assert.equal(new Set(ids).size, 6, "pages do not overlap");
  });

  it("returns a product with its price in minor units and its images", async () => {
    const res = await sg.query(`{ product(id: "prod_0000001") { id sku name price { amount currency } images { url alt } attributes { name value } } }`);
    const product = res.data!.product;
    assert.equal(product.id, "prod_0000001");
    assert.ok(Number.isInteger(product.price.amount));
    assert.equal(product.price.currency, "USD");
    assert.match(product.images[0].url, /^https:\/\/img\.storefront\.test\/catalog\/products\/.+\.jpg$/);
    assert.ok(product.attributes.length > 0);
  });

  it("refuses catalog writes from customers and anonymous callers with coded errors", async () => {
    const mutation = `mutation { createProduct(input: { sku: "NEW-1", name: "New", description: "d", priceAmount: 100, category: "books", brand: "b" }) { id } }`;
    const anonymous = await sg.query(mutation);
    assert.equal(anonymous.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    const customer = await sg.query(mutation, {}, await sg.token("u1"));
    assert.equal(customer.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });

  it("lets an admin create and update a product, validating input", async () => {
    const admin = await sg.token("admin-1", ["admin"]);
    const created = await sg.query(
      `mutation { createProduct(input: { sku: "lamp-900", name: "Desk Lamp", description: "Warm light", priceAmount: 2599, category: "home-kitchen", brand: "Lumo", attributes: [{ name: "colour", value: "Brass" }] }) { id sku price { amount } } }`,
      {},
      admin,
    );
    assert.equal(created.errors, undefined);
    assert.equal(created.data!.createProduct.sku, "LAMP-900");
    const id = created.data!.createProduct.id;
    const updated = await sg.query(`mutation($id: ID!) { updateProduct(id: $id, input: { priceAmount: 1999 }) { price { amount } } }`, { id }, admin);
    assert.equal(updated.data!.updateProduct.price.amount, 1999);
    const bad = await sg.query(`mutation($id: ID!) { updateProduct(id: $id, input: { priceAmount: -5 }) { id } }`, { id }, admin);
    assert.equal(bad.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const duplicate = await sg.query(
      `mutation { createProduct(input: { sku: "LAMP-900", name: "Other", description: "x", priceAmount: 1, category: "books", brand: "b" }) { id } }`,
      {},
      admin,
    );
    assert.equal(duplicate.errors?.[0]?.extensions?.code, "CONFLICT");
  });

  it("serves stored image blob paths through the configured image CDN and refuses unsafe paths", async () => {
    const admin = await sg.token("admin-1", ["admin"]);
    const created = await sg.query(
      `mutation { createProduct(input: { sku: "IMG-100", name: "Vase", description: "Blue", priceAmount: 1200, category: "home-kitchen", brand: "Kiln",
        images: [{ url: "products/img-100/1.jpg", alt: "front" }, { url: "https://partner.example/vase.jpg", alt: "partner" }] }) { images { url alt } } }`,
      {},
      admin,
    );
    assert.equal(created.errors, undefined);
    assert.deepEqual(created.data!.createProduct.images, [
      { url: "https://img.storefront.test/catalog/products/img-100/1.jpg", alt: "front" },
      { url: "https://partner.example/vase.jpg", alt: "partner" },
    ]);
    const unsafe = await sg.query(
      `mutation { createProduct(input: { sku: "IMG-101", name: "Vase", description: "Blue", priceAmount: 1200, category: "home-kitchen", brand: "Kiln", images: [{ url: "products/../../secret", alt: "x" }] }) { id } }`,
      {},
      admin,
    );
    assert.equal(unsafe.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });

  it("answers unknown tokens with UNAUTHENTICATED and leaks no stack traces", async () => {
    const res = await postGraphQL(sg.gatewayUrl, `{ __typename }`, {}, { token: "not-a-jwt" });
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    const invalid = await sg.query(`{ product(id: 5, oops: 1) { id } }`);
    assert.ok(invalid.errors?.length);
    for (const error of invalid.errors!) assert.equal(error.extensions?.stacktrace, undefined);
  });

  it("refuses direct subgraph calls that do not carry the gateway's credential", async () => {
    const res = await postGraphQL(sg.subgraphUrls.products!, `{ product(id: "prod_0000001") { id } }`);
    assert.equal(res.status, 403);
    assert.equal(res.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const forged = await postGraphQL(sg.subgraphUrls.products!, `{ product(id: "prod_0000001") { id } }`, {}, { headers: { "x-storefront-internal": "v1.eyJ9.forged" } });
    assert.equal(forged.status, 403);
  });
});
