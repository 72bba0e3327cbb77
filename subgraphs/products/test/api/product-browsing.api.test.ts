import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeCursor, InventoryEventTypes, newEvent, Topics } from "#kernel";
import { waitFor } from "#kernel/testing";
import { admin, rejectsWith, shopper, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";

const CATEGORY_FIELDS = "slug name parent { slug } children { slug } breadcrumbs { slug } productCount";
const CREATE_CATEGORY = `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { ${CATEGORY_FIELDS} } }`;
const UPDATE_CATEGORY = `mutation($slug: String!, $input: UpdateCategoryInput!) { updateCategory(slug: $slug, input: $input) { ${CATEGORY_FIELDS} } }`;
const CATEGORY = `query($slug: String!) { category(slug: $slug) { ${CATEGORY_FIELDS} } }`;
const CATEGORIES = `{ categories { slug children { slug children { slug } } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const LISTING = `query($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort, $category: String) {
  products(first: $first, after: $after, filter: $filter, sort: $sort, category: $category) { edges { cursor node { id name price { amount } } } pageInfo { hasNextPage endCursor } }
}`;
const COUNTED = `query($filter: ProductFilter) { products(first: 1, filter: $filter) { totalCount } }`;

interface Listing {
  products: { edges: { cursor: string; node: { id: string; name: string; price: { amount: number } } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

describe("categories and sorted, filtered listings through the products subgraph API", { timeout: 60_000 }, () => {
  let rig: ProductsApiRig;
  const ids: Record<string, string> = {};

  const asAdmin = <T>(query: string, variables: Record<string, unknown> = {}) => rig.client.request<T>(query, variables, { identity: admin });
  const asShopper = <T>(query: string, variables: Record<string, unknown> = {}) => rig.client.request<T>(query, variables, { identity: shopper });
  const list = async (variables: Record<string, unknown>) => (await asShopper<Listing>(LISTING, variables)).products;
  const names = async (variables: Record<string, unknown>) => (await list({ first: 50, ...variables })).edges.map((edge) => edge.node.name);

  const product = async (name: string, category: string, prices: number[], colours: string[] = []) => {
    const sku = `BRW-${process.pid}-${name.replaceAll(" ", "-")}`;
    const input = {
      sku,
      name,
      description: `${name}, for browsing.`,
      category,
      brand: "Browse Co",
      ...(colours.length === 0 && { priceAmount: prices[0] }),
      ...(colours.length > 0 && {
        options: [{ name: "Colour", values: colours }],
        variants: colours.map((colour, i) => ({ sku: `${sku}-${i}`, options: [{ name: "Colour", value: colour }], priceAmount: prices[i] ?? prices[0] })),
      }),
    };
    ids[name] = (await asAdmin<{ createProduct: { id: string } }>(CREATE_PRODUCT, { input })).createProduct.id;
  };

  before(async () => {
    rig = await startProductsApi();

    await asAdmin(CREATE_CATEGORY, { input: { slug: "Electronics", name: "Electronics" } });
    await asAdmin(CREATE_CATEGORY, { input: { slug: "audio", name: "Audio", parent: "ELECTRONICS" } });
    await asAdmin(CREATE_CATEGORY, { input: { slug: "books", name: "Books" } });
    await product("Zen Speaker", "audio", [4900, 5900], ["Red", "Black"]);
    await product("Alpha Headphones", "audio", [9900], ["Black"]);
    await product("Mega Television", "electronics", [49900]);
    await product("Quiet Book", "books", [1500]);
    await waitFor("every product is listed", async () => (await names({})).length === 4, { timeoutMs: 10_000 });
  });
  after(() => rig?.close());

  it("serves the tree: roots with children, breadcrumbs root first, product counts of the whole subtree", async () => {
    const { categories } = await asShopper<{ categories: { slug: string; children: { slug: string; children: { slug: string }[] }[] }[] }>(CATEGORIES);
    assert.deepEqual(categories, [
      { slug: "books", children: [] },
      { slug: "electronics", children: [{ slug: "audio", children: [] }] },
    ]);
    const { category } = await asShopper<{ category: Record<string, unknown> }>(CATEGORY, { slug: "AUDIO" });
    assert.deepEqual(category, { slug: "audio", name: "Audio", parent: { slug: "electronics" }, children: [], breadcrumbs: [{ slug: "electronics" }, { slug: "audio" }], productCount: 2 });
    assert.equal((await asShopper<{ category: { productCount: number } }>(CATEGORY, { slug: "electronics" })).category.productCount, 3);
  });

  it("gives other services the catalog newest first, a page at a time (the search rebuild's read)", async () => {
    const CATALOG_PAGE = `query($after: ID, $first: Int) { catalogPage(after: $after, first: $first) { products { name } endCursor hasNextPage } }`;
    type CatalogPage = { catalogPage: { products: { name: string }[]; endCursor: string | null; hasNextPage: boolean } };
    const asService = (variables: Record<string, unknown>) => rig.client.request<CatalogPage>(CATALOG_PAGE, variables, { identity: { userId: "svc_search", roles: ["service"] } });
    const first = (await asService({ first: 3 })).catalogPage;
    assert.deepEqual(first.products.map((p) => p.name), ["Quiet Book", "Mega Television", "Alpha Headphones"]);
    assert.equal(first.hasNextPage, true);
    const rest = (await asService({ first: 3, after: first.endCursor })).catalogPage;
    assert.deepEqual(rest.products.map((p) => p.name), ["Zen Speaker"]);
    assert.equal(rest.hasNextPage, false);
  });

  it("answers an unknown slug with NOT_FOUND, as a category and as a listing filter, old argument included", async () => {
    await rejectsWith(asShopper(CATEGORY, { slug: "nowhere" }), "NOT_FOUND");
    await rejectsWith(list({ filter: { categorySlug: "nowhere" } }), "NOT_FOUND");
    await rejectsWith(list({ category: "Nowhere" }), "NOT_FOUND");
  });

  it("lists a category and everything below it whatever the slug's case; the deprecated argument still works", async () => {
    assert.deepEqual(await names({ filter: { categorySlug: "Electronics" }, sort: { field: "NAME" } }), ["Alpha Headphones", "Mega Television", "Zen Speaker"]);
    assert.deepEqual(await names({ category: "AUDIO", sort: { field: "NAME", direction: "DESC" } }), ["Zen Speaker", "Alpha Headphones"]);
    assert.deepEqual(await names({ category: "audio", filter: { categorySlug: "Audio" }, sort: { field: "NAME" } }), ["Alpha Headphones", "Zen Speaker"]);
    await rejectsWith(list({ category: "audio", filter: { categorySlug: "books" } }), "BAD_USER_INPUT");
  });

  it("sorts by price and filters by variant price, option values (any case) and stock", async () => {
    assert.deepEqual(await names({ sort: { field: "PRICE" } }), ["Quiet Book", "Zen Speaker", "Alpha Headphones", "Mega Television"]);
    assert.deepEqual(await names({ sort: { field: "PRICE", direction: "DESC" }, filter: { priceMin: 5000, priceMax: 10000 } }), ["Alpha Headphones", "Zen Speaker"]);
    assert.deepEqual(await names({ sort: { field: "NAME" }, filter: { options: [{ name: "colour", values: ["RED", "blue"] }] } }), ["Zen Speaker"]);
    assert.deepEqual(await names({ sort: { field: "NAME" }, filter: { options: [{ name: "Colour", values: ["black"] }] } }), ["Alpha Headphones", "Zen Speaker"]);
    const stock = (variantId: string, available: number, at: Date) => newEvent(InventoryEventTypes.stockChanged, ids["Quiet Book"]!, { productId: ids["Quiet Book"]!, variantId, available }, at);
    await rig.bus.publish(Topics.stockChanged, [stock(ids["Quiet Book"]!, 3, new Date(2_000))]);
    await waitFor("the book is in stock", async () => (await names({ filter: { inStock: true } })).join() === "Quiet Book");
    // A late, older event does not take the flag back.
    await rig.bus.publish(Topics.stockChanged, [stock(ids["Quiet Book"]!, 0, new Date(1_000)), stock(ids["Quiet Book"]!, 2, new Date(3_000))]);
    await waitFor("both events are applied", async () => (await names({ filter: { inStock: false } })).length === 3);
    assert.deepEqual(await names({ filter: { inStock: true } }), ["Quiet Book"]);
  });

  it("pages with cursors that continue only their own sort", async () => {
    const first = await list({ first: 2, sort: { field: "PRICE" } });
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = await list({ first: 2, sort: { field: "PRICE" }, after: first.pageInfo.endCursor });
    assert.deepEqual([...first.edges, ...second.edges].map((edge) => edge.node.name), ["Quiet Book", "Zen Speaker", "Alpha Headphones", "Mega Television"]);
    await rejectsWith(list({ first: 2, sort: { field: "NAME" }, after: first.pageInfo.endCursor }), "BAD_USER_INPUT", /sorted by PRICE ASC/);
    await rejectsWith(list({ first: 2, sort: { field: "PRICE", direction: "DESC" }, after: first.pageInfo.endCursor }), "BAD_USER_INPUT");
  });

  it("pages with cursors that continue only the filters they came from, however those are spelled", async () => {
    // A cursor of the electronics listing used on books silently answered books past its key:
    // a page of another listing, where another sort was already refused.
    const electronics = await list({ first: 1, filter: { categorySlug: "electronics" }, sort: { field: "NAME" } });
    assert.equal(electronics.pageInfo.hasNextPage, true);
    const cursor = electronics.pageInfo.endCursor;
    const next = await list({ first: 5, after: cursor, filter: { categorySlug: " Electronics" }, sort: { field: "NAME" } });
    assert.deepEqual(next.edges.map((edge) => edge.node.name), ["Mega Television", "Zen Speaker"], "the same listing, its category spelled otherwise");
    assert.deepEqual((await list({ first: 5, after: cursor, category: "ELECTRONICS", sort: { field: "NAME" } })).edges.map((edge) => edge.node.name), ["Mega Television", "Zen Speaker"], "and through the deprecated alias");
    for (const other of [{ categorySlug: "books" }, {}, { categorySlug: "electronics", inStock: true }, { categorySlug: "electronics", priceMax: 100_000 }, { categorySlug: "electronics", options: [{ name: "Colour", values: ["Black"] }] }]) {
      await rejectsWith(list({ first: 5, after: cursor, filter: other, sort: { field: "NAME" } }), "BAD_USER_INPUT", /other filters/);
    }
    // Option filters are one criterion whatever order they are given in.
    const black = { categorySlug: "audio", options: [{ name: "Colour", values: ["Black", "Red"] }] };
    const firstOfAudio = await list({ first: 1, filter: black, sort: { field: "NAME" } });
    const rest = await list({ first: 5, after: firstOfAudio.pageInfo.endCursor, filter: { categorySlug: "audio", options: [{ name: "colour", values: ["red", "BLACK"] }] }, sort: { field: "NAME" } });
    assert.deepEqual([...firstOfAudio.edges, ...rest.edges].map((edge) => edge.node.name), ["Alpha Headphones", "Zen Speaker"]);
  });

  it("refuses hostile input with coded errors", async () => {
    await rejectsWith(list({ first: 1_000_000_000 }), "BAD_USER_INPUT");
    await rejectsWith(list({ first: 0 }), "BAD_USER_INPUT");
    await rejectsWith(list({ after: "not-a-cursor" }), "BAD_USER_INPUT");
    await rejectsWith(list({ after: encodeCursor({ f: "NEWEST", d: "DESC", k: { $gt: "" } }) }), "BAD_USER_INPUT");
    await rejectsWith(list({ after: encodeCursor({ seq: 5 }) }), "BAD_USER_INPUT");
    await rejectsWith(list({ after: "A".repeat(5_000) }), "BAD_USER_INPUT");
    await rejectsWith(list({ filter: { priceMin: 500, priceMax: 100 } }), "BAD_USER_INPUT", /priceMin is above priceMax/);
    await rejectsWith(list({ filter: { priceMin: -1 } }), "BAD_USER_INPUT");
    const many = Array.from({ length: 1_000 }, (_, i) => ({ name: `option${i}`, values: ["x"] }));
    await rejectsWith(list({ filter: { options: many } }), "BAD_USER_INPUT", /At most 10/);
    await rejectsWith(list({ filter: { options: [{ name: "Colour", values: Array.from({ length: 1_000 }, (_, i) => `v${i}`) }] } }), "BAD_USER_INPUT");
    await rejectsWith(list({ filter: { options: [{ name: "", values: ["x"] }] } }), "BAD_USER_INPUT");
  });

  it("counts whole categories, and refuses to count a price, stock or option filter", async () => {
    const count = async (filter: Record<string, unknown>) => (await asShopper<{ products: { totalCount: number } }>(COUNTED, { filter })).products.totalCount;
    assert.equal(await count({}), 4);
    assert.equal(await count({ categorySlug: "ELECTRONICS" }), 3);
    await rejectsWith(count({ priceMin: 1 }), "QUERY_TOO_COMPLEX");
    await rejectsWith(count({ inStock: true }), "QUERY_TOO_COMPLEX");
  });

  it("creates a category once when the same create is sent twice or more at once or again after a lost answer; its slug under another name or parent is CONFLICT", async () => {
    type Created = { createCategory: { slug: string; name: string; parent: { slug: string } | null } };
    const input = { slug: "Novels", name: "Novels", parent: "books" };
    const twins = await Promise.all(Array.from({ length: 6 }, () => asAdmin<Created>(CREATE_CATEGORY, { input })));
    assert.deepEqual(new Set(twins.map(({ createCategory: { slug, name, parent } }) => JSON.stringify({ slug, name, parent }))), new Set([JSON.stringify({ slug: "novels", name: "Novels", parent: { slug: "books" } })]));
    const retried = await asAdmin<Created>(CREATE_CATEGORY, { input: { ...input, slug: "NOVELS", parent: "BOOKS" } });
    assert.equal(retried.createCategory.slug, "novels");
    const tree = await asShopper<{ category: { children: { slug: string }[] } }>(CATEGORY, { slug: "books" });
    assert.deepEqual(tree.category.children.map((child) => child.slug), ["novels"], "one category made");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { ...input, name: "Fiction" } }), "CONFLICT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { ...input, parent: "electronics" } }), "CONFLICT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "novels", name: "Novels" } }), "CONFLICT");
  });

  it("validates category writes: admins only, slugs unique and well formed, parents that exist, no cycles", async () => {
    await rejectsWith(asShopper(CREATE_CATEGORY, { input: { slug: "toys", name: "Toys" } }), "FORBIDDEN");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "AUDIO", name: "Again" } }), "CONFLICT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "no spaces", name: "Bad" } }), "BAD_USER_INPUT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "x".repeat(65), name: "Long" } }), "BAD_USER_INPUT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "orphan", name: "Orphan", parent: "missing" } }), "BAD_USER_INPUT");
    await rejectsWith(asAdmin(CREATE_CATEGORY, { input: { slug: "blank", name: "   " } }), "BAD_USER_INPUT");
    await rejectsWith(asAdmin(UPDATE_CATEGORY, { slug: "electronics", input: { parent: "audio" } }), "BAD_USER_INPUT", /below itself/);
    await rejectsWith(asAdmin(UPDATE_CATEGORY, { slug: "electronics", input: { parent: "Electronics" } }), "BAD_USER_INPUT");
    await rejectsWith(asAdmin(UPDATE_CATEGORY, { slug: "missing", input: { name: "X" } }), "NOT_FOUND");
    // Two moves at once that would make a cycle together: one of them is refused.
    await asAdmin(CREATE_CATEGORY, { input: { slug: "left", name: "Left" } });
    await asAdmin(CREATE_CATEGORY, { input: { slug: "right", name: "Right" } });
    const moves = await Promise.allSettled([asAdmin(UPDATE_CATEGORY, { slug: "left", input: { parent: "right" } }), asAdmin(UPDATE_CATEGORY, { slug: "right", input: { parent: "left" } })]);
    assert.deepEqual(moves.map((move) => move.status).sort(), ["fulfilled", "rejected"]);
    // Moving and renaming; parent null makes a root, and the subtree moves along.
    const moved = await asAdmin<{ updateCategory: Record<string, unknown> }>(UPDATE_CATEGORY, { slug: "Audio", input: { name: "Sound", parent: "books" } });
    assert.deepEqual(moved.updateCategory, { slug: "audio", name: "Sound", parent: { slug: "books" }, children: [], breadcrumbs: [{ slug: "books" }, { slug: "audio" }], productCount: 2 });
    assert.equal((await asShopper<{ category: { productCount: number } }>(CATEGORY, { slug: "books" })).category.productCount, 3);
    const root = await asAdmin<{ updateCategory: { parent: null; breadcrumbs: unknown[] } }>(UPDATE_CATEGORY, { slug: "audio", input: { parent: null } });
    assert.deepEqual([root.updateCategory.parent, root.updateCategory.breadcrumbs], [null, [{ slug: "audio" }]]);
  });
});
