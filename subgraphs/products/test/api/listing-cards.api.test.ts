import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { EmbeddedProductStore } from "../../src/adapters/embedded-product-store.js";
import type { ProductStore } from "../../src/ports/product-store.js";
import { shopper, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";
import { plannedFetch } from "../../../../test/support/planned-fetch.js";
import { readGoldenOperations } from "../../../../schema/golden-operations.js";

const CARD = "id name price { amount currency } priceRange { min { amount currency } max { amount currency } } featuredImage { url(width: 320) alt } variants { id }";
const page = (node: string, extra = "") => `query($first: Int, $sort: ProductSort) { products(first: $first, sort: $sort) { edges { cursor node { ${node} } } } } ${extra}`;
const PRODUCT = `query($id: ID!) { product(id: $id) { ${CARD} } }`;
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`;

interface Node {
  id: string;
  name: string;
  [field: string]: unknown;
}

/** The embedded product store, counting the products read by id. */
function countingStore(): { store: ProductStore; read: () => number } {
  const store = new EmbeddedProductStore();
  let read = 0;
  const findByIds = store.findByIds.bind(store);
  store.findByIds = async (ids) => {
    read += ids.length;
    return findByIds(ids);
  };
  return { store, read: () => read };
}

describe("a listing page of product cards", { timeout: 60_000 }, () => {
  let rig: ProductsApiRig;
  let reads: () => number;
  const ids: string[] = [];
  const asShopper = <T>(query: string, variables: Record<string, unknown> = {}) => rig.client.request<T>(query, variables, { identity: shopper });
  const nodes = async (node: string, variables: Record<string, unknown> = {}, extra = "") =>
    (await asShopper<{ products: { edges: { node: Node }[] } }>(page(node, extra), { first: 20, ...variables })).products.edges.map((edge) => edge.node);
  /** What one query costs in product reads. */
  const readsOf = async <T>(work: () => Promise<T>): Promise<{ value: T; read: number }> => {
    const before = reads();
    const value = await work();
    return { value, read: reads() - before };
  };

  before(async () => {
    const counting = countingStore();
    reads = counting.read;
    rig = await startProductsApi({ store: counting.store });
    await rig.asAdmin(`mutation { createCategory(input: { slug: "lighting", name: "Lighting" }) { slug } }`);
    const create = async (input: Record<string, unknown>) => ids.push((await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input })).createProduct.id);
    for (let i = 0; i < 5; i++) {
      await create({ sku: `CARD-${process.pid}-${i}`, name: `Card lamp ${i}`, description: `Lamp ${i}, described.`, priceAmount: 1000 + i * 100, currency: "EUR", category: "lighting", brand: "Cardwell", images: [{ url: `products/card-${i}/1.jpg`, alt: `Lamp ${i}` }, { url: `products/card-${i}/2.jpg`, alt: `Lamp ${i}, side` }] });
    }
    const sku = `CARD-${process.pid}-v`;
    await create({
      sku, name: "Card shirt", description: "A shirt with sizes.", currency: "EUR", category: "apparel", brand: "Cardwell",
      options: [{ name: "Size", values: ["S", "L"] }],
      variants: [{ sku: `${sku}-s`, options: [{ name: "Size", value: "S" }], priceAmount: 2500 }, { sku: `${sku}-l`, options: [{ name: "Size", value: "L" }], priceAmount: 1900 }],
    });
    await create({ sku: `CARD-${process.pid}-bare`, name: "Card without a picture", description: "Nothing to see.", priceAmount: 700, currency: "EUR", category: "lighting", brand: "Cardwell" });
    await waitFor("every product is listed", async () => (await nodes("id")).length === ids.length, { timeoutMs: 10_000 });
  });
  after(() => rig?.close());

  it("answers from the listing alone, as product(id) answers each product", async () => {
    const { value: cards, read } = await readsOf(() => nodes(CARD));
    assert.equal(read, 0, "no product is read for a page of cards");
    assert.deepEqual(new Set(cards.map((card) => card.id)), new Set(ids));
    for (const card of cards) assert.deepEqual(card, (await asShopper<{ product: Node }>(PRODUCT, { id: card.id })).product);
    const shirt = cards.find((card) => card.name === "Card shirt")!;
    assert.deepEqual(shirt.priceRange, { min: { amount: 1900, currency: "EUR" }, max: { amount: 2500, currency: "EUR" } });
    assert.equal(cards.find((card) => card.name === "Card without a picture")!.featuredImage, null);
    assert.match((cards.find((card) => card.name === "Card lamp 0")!.featuredImage as { url: string }).url, /card-0\/1\.jpg/);
  });

  it("reads the page's products once, together, when anything beyond the card is asked, however it is spelled", async () => {
    const spelled = [
      ["a field of its own", "id name description", ""],
      ["an alias over a card field's name", "id name: description", ""],
      ["an inline fragment", "id name ... on Product { sku }", ""],
      ["a named fragment", "id name ...More", "fragment More on Product { images { alt } }"],
      ["a fragment inside a fragment", "id ...Outer", "fragment Outer on Product { name ...Inner } fragment Inner on Product { variants { id sku } }"],
      ["a field under @skip", "id name description @skip(if: true)", ""],
      ["a variant field beyond its id", "id name variants { id sku }", ""],
      ["a variant field in a fragment", "id variants { ...V }", "fragment V on ProductVariant { id price { amount } }"],
    ] as const;
    for (const [how, node, extra] of spelled) {
      const { value, read } = await readsOf(() => nodes(node, {}, extra));
      assert.equal(value.length, ids.length, how);
      assert.equal(read, ids.length, `${how}: each product read once`);
    }
    const described = await nodes("id name: description");
    for (const node of described) assert.match(node.name, /described|sizes|Nothing to see/, "the alias carries the description, not the card's name");
    // Only the card's fields, through fragments and aliases: still no read.
    assert.equal((await readsOf(() => nodes("...Card title: name", {}, "fragment Card on Product { id ... on Product { price { amount } } __typename variants { vid: id } }"))).read, 0);
    // At the root: one field merged from two spellings (a fragment asking more) reads; two aliased fields read once, for the one asking more.
    const merged = `{ products(first: 20) { edges { node { id name } } } ... on Query { products(first: 20) { edges { node { description } } } } }`;
    assert.equal((await readsOf(() => asShopper(merged))).read, ids.length);
    const aliased = `{ cards: products(first: 20) { edges { node { id name } } } full: products(first: 20) { edges { node { id description } } } }`;
    assert.equal((await readsOf(() => asShopper(aliased))).read, ids.length);
    const variantsOfShirt = (await nodes("id name variants { id sku title }")).find((node) => node.name === "Card shirt")!.variants as { id: string; sku: string; title: string }[];
    assert.deepEqual(variantsOfShirt.map((v) => v.title), ["S", "L"]);
  });

  it("answers the products fetch the gateway plans for the golden CategoryListing (stock requires the variants' ids) without a read", async () => {
    const fetch = plannedFetch(readGoldenOperations().find((operation) => operation.name === "CategoryListing")!.query, "products");
    const { value, read } = await readsOf(() => asShopper<{ products: { edges: { node: Node }[] } }>(fetch, { slug: "lighting", first: 20, withTotal: true }));
    assert.equal(read, 0, fetch);
    const lamps = value.products.edges.map((edge) => edge.node);
    assert.equal(lamps.length, 6);
    for (const lamp of lamps) assert.deepEqual(lamp.variants, [{ id: lamp.id }]);
  });

  it("shows a renamed, repriced or re-pictured product's new card once it is listed, at its new place", async () => {
    const id = ids[2]!;
    await rig.asAdmin(UPDATE, { id, input: { name: "Aaa renamed lamp", priceAmount: 333, images: [{ url: "products/card-new/1.jpg", alt: "New look" }] } });
    await waitFor("the new card is listed", async () => (await nodes(CARD, { sort: { field: "NAME", direction: "ASC" } }))[0]?.name === "Aaa renamed lamp", { timeoutMs: 10_000 });
    const [first] = await nodes(CARD, { sort: { field: "NAME", direction: "ASC" } });
    assert.deepEqual(first, (await asShopper<{ product: Node }>(PRODUCT, { id })).product);
    assert.deepEqual(first!.price, { amount: 333, currency: "EUR" });
    assert.equal((first!.featuredImage as { alt: string }).alt, "New look");
  });

  it("keeps every card at the place its name gives it while products are renamed meanwhile", async () => {
    const renames = (async () => {
      for (let round = 0; round < 15; round++) {
        await Promise.all(ids.slice(0, 5).map((id, i) => rig.asAdmin(UPDATE, { id, input: { name: `Card lamp ${String.fromCharCode(97 + ((round * 7 + i * 3) % 26))} ${i}` } })));
      }
    })();
    let pages = 0;
    for (let done = false; !done; ) {
      done = await Promise.race([renames.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5))]);
      const names = (await nodes("id name", { sort: { field: "NAME", direction: "ASC" } })).map((node) => node.name.toLowerCase());
      assert.deepEqual(names, [...names].sort(), "a card page is in the order of the names it shows");
      assert.equal(new Set(names).size, names.length);
      pages += 1;
    }
    assert.ok(pages > 1);
  });
});
