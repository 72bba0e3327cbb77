import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const SEARCH_TOTAL = `query($filter: SearchFilter) { search(query: "", filter: $filter, first: 100) { totalCount edges { node { id } } } }`;
const LISTING_TOTAL = `query($slug: String) { products(first: 100, filter: { categorySlug: $slug }) { totalCount edges { node { id } } } }`;

interface Tree {
  slug: string;
  children: Tree[];
}

describe("search filters name categories and brands as the catalog does (through the gateway)", () => {
  let sg: TestSupergraph;
  let admin: string;
  const searchIds = async (filter: Record<string, unknown>) => {
    const res = await sg.query(SEARCH_TOTAL, { filter });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.search.edges.map((e: { node: { id: string } }) => e.node.id).sort() as string[];
  };
  const listedIds = async (slug: string) => {
    const res = await sg.query(LISTING_TOTAL, { slug });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.products.edges.map((e: { node: { id: string } }) => e.node.id).sort() as string[];
  };

  before(async () => {
    sg = await startTestSupergraph();
    admin = await sg.token("filter-admin", ["customer", "admin"]);
  });
  after(() => sg?.close());

  it("a category in capitals lists the products products(categorySlug) lists", async () => {
    const [first] = (await sg.query(`{ search(query: "", first: 1) { edges { node { id category } } } }`)).data!.search.edges;
    const slug: string = first.node.category;
    const listed = await listedIds(slug);
    assert.ok(listed.length > 0);
    assert.deepEqual(await searchIds({ categories: [slug.toUpperCase()] }), listed);
    assert.deepEqual(await searchIds({ categories: [` ${slug} `] }), listed);
  });

  it("a parent category lists the products of every category below it", async () => {
    const tree: Tree[] = (await sg.query(`{ categories { slug children { slug children { slug } } } }`)).data!.categories;
    const parent = tree.find((root) => root.children.length > 0);
    assert.ok(parent, "the demo tree has a parent category");
    const child = parent.children[0]!.slug;
    const created = await sg.query(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku: "SCOPE-CHILD-1", name: "Scoped Child Lamp", description: "d", priceAmount: 1000, category: child, brand: "Scope" } },
      admin,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id: string = created.data!.createProduct.id;
    await waitFor("the product is searchable in its own category", async () => (await searchIds({ categories: [child] })).includes(id));
    const listed = await listedIds(parent.slug);
    assert.ok(listed.includes(id), `products(categorySlug: ${parent.slug}) lists the product of ${child}`);
    assert.deepEqual(await searchIds({ categories: [parent.slug] }), listed);
  });

  it("a brand in any case lists the products of every spelling of it", async () => {
    const spellings = ["ZUNDERWERK", "Zunderwerk"];
    for (const [i, brand] of spellings.entries()) {
      const created = await sg.query(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku: `ZUNDER-${i}`, name: `Zunder Lamp ${i}`, description: "d", priceAmount: 1000, category: "books", brand } },
        admin,
      );
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    }
    await waitFor("both products are searchable", async () => (await searchIds({ brands: spellings })).length === 2);
    const both = await searchIds({ brands: spellings });
    assert.deepEqual(await searchIds({ brands: ["zunderwerk"] }), both);
    assert.deepEqual(await searchIds({ brands: ["ZunderWerk "] }), both);
  });
});
