import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { Product } from "../src/domain/product.js";
import type { ListingFilter, ListingSort } from "../src/listing/listing-query.js";
import { SORT_FIELDS } from "../src/listing/listing-query.js";
import type { ListingIndex } from "../src/ports/listing-index.js";

let serial = 0;

/** A product for listings: `prices` one variant each; `options` the variants' values, by position. */
export function listedProduct(fields: { name?: string; category?: string; prices?: number[]; options?: Record<string, string>[]; minute?: number; version?: number } = {}): Product {
  serial += 1;
  const id = `prod_l${String(serial).padStart(6, "0")}`;
  const prices = fields.prices ?? [1000 + ((serial * 37) % 500)];
  const createdAt = new Date(Date.UTC(2026, 0, 1) + (fields.minute ?? serial) * 60_000);
  const variants = prices.map((amount, i) => ({
    id: prices.length === 1 ? id : `${id}:${i + 1}`,
    sku: `LST-${serial}-${i}`,
    options: Object.entries(fields.options?.[i] ?? {}).map(([name, value]) => ({ name, value })),
    price: { amount, currency: "USD" },
    images: [],
  }));
  const product = {
    id,
    sku: `LST-${serial}`,
    name: fields.name ?? `Listed ${String.fromCharCode(97 + (serial % 26))} ${serial}`,
    description: "A product made for the listing contract.",
    price: { amount: Math.min(...prices), currency: "USD" },
    images: [],
    category: fields.category ?? "books",
    brand: "Contract Press",
    attributes: {},
    createdAt,
    updatedAt: createdAt,
    options: [],
    variants,
    lastVariantKey: prices.length,
    version: fields.version ?? 1,
  };
  return product as unknown as Product;
}

/** The product with these pictures. */
const withImages = (product: Product, images: Product["images"]): Product => ({ ...product, images });

const byIds = (products: readonly Product[]) => new Map(products.map((product) => [product.id, product] as const));

/** Every id a listing yields, page after page, with how many pages it took. */
export async function everyPage(index: ListingIndex, sort: ListingSort, filter: ListingFilter = {}, first = 3): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let pages = 1; pages < 10_000; pages++) {
    const page = await index.list({ first, after, sort, filter });
    assert.ok(page.items.length <= first);
    ids.push(...page.items.map((item) => item.id));
    if (!page.hasNextPage) return { ids, pages };
    assert.notEqual(page.endKey, null);
    after = page.endKey!;
  }
  throw new Error("the listing never ended");
}

const value = (field: ListingSort["field"], product: Product, popularity = 0): number | string =>
  field === "PRICE" ? Math.min(...(product as unknown as { variants: { price: { amount: number } }[] }).variants.map((v) => v.price.amount))
  : field === "NEWEST" ? product.createdAt.getTime()
  : field === "NAME" ? product.name.toLowerCase()
  : popularity;

export function expected(products: readonly Product[], sort: ListingSort, popularity: ReadonlyMap<string, number> = new Map()): string[] {
  const sign = sort.direction === "ASC" ? 1 : -1;
  return [...products]
    .sort((a, b) => {
      const x = value(sort.field, a, popularity.get(a.id));
      const y = value(sort.field, b, popularity.get(b.id));
      return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
    })
    .map((product) => product.id);
}

/**
 * The guarantees of the `ListingIndex` port against one adapter. `create` returns an empty
 * index for every test.
 */
export function defineListingIndexContract(engine: string, create: () => Promise<ListingIndex>): void {
  describe(engineSuiteTitle("ListingIndex contract", engine), { timeout: 180_000 }, () => {
    let index: ListingIndex;
    beforeEach(async () => {
      index = await create();
    });
    afterEach(async () => {
      await index?.close();
    });

    for (const field of SORT_FIELDS) {
      for (const direction of ["ASC", "DESC"] as const) {
        it(`lists every product once in ${field} ${direction} order, ties broken by id, across pages`, async () => {
          // Shared prices, names and times make ties that only the id breaks.
          const products = Array.from({ length: 11 }, (_, i) => listedProduct({ prices: [1000 + (i % 3) * 100], name: `Same ${i % 2 ? "b" : "A"}`, minute: 100 + (i % 4), category: i % 2 ? "books" : "garden" }));
          await index.sync(byIds(products));
          const popularity = new Map(products.slice(0, 6).map((product, i) => [product.id, (i % 3) + 1] as const));
          await index.addPopularity(1, popularity);
          const sort = { field, direction };
          assert.deepEqual((await everyPage(index, sort)).ids, expected(products, sort, popularity));
          const books = products.filter((product) => product.category === "books");
          assert.deepEqual((await everyPage(index, sort, { categories: ["books"] })).ids, expected(books, sort, popularity));
          assert.deepEqual((await everyPage(index, sort, { categories: ["books", "garden"] }, 4)).ids, expected(products, sort, popularity));
        });
      }
    }

    it("filters by a variant price within the range, stock and option values (OR within an option, AND across)", async () => {
      const red = listedProduct({ prices: [500, 2500], options: [{ colour: "Red", size: "M" }, { colour: "Blue", size: "L" }] });
      const green = listedProduct({ prices: [1500], options: [{ colour: "Green", size: "M" }] });
      const plain = listedProduct({ prices: [3000] });
      await index.sync(byIds([red, green, plain]));
      await index.recordStock({ productId: green.id, variantId: green.id, inStock: true, at: new Date(1_000) });
      await index.recordStock({ productId: red.id, variantId: `${red.id}:2`, inStock: false, at: new Date(1_000) });
      const ids = async (filter: ListingFilter) => (await everyPage(index, { field: "PRICE", direction: "ASC" }, filter)).ids;
      assert.deepEqual(await ids({ priceMin: 2000 }), [red.id, plain.id]);
      assert.deepEqual(await ids({ priceMax: 1000 }), [red.id]);
      assert.deepEqual(await ids({ priceMin: 1600, priceMax: 2000 }), []);
      assert.deepEqual(await ids({ priceMin: 1500, priceMax: 1500 }), [green.id]);
      assert.deepEqual(await ids({ inStock: true }), [green.id]);
      assert.deepEqual(await ids({ inStock: false }), [red.id, plain.id]);
      assert.deepEqual(await ids({ options: [{ name: "colour", values: ["red", "green"] }] }), [red.id, green.id]);
      assert.deepEqual(await ids({ options: [{ name: "colour", values: ["blue"] }, { name: "size", values: ["l"] }] }), [red.id]);
      assert.deepEqual(await ids({ options: [{ name: "colour", values: ["green"] }, { name: "size", values: ["l"] }] }), []);
      assert.deepEqual(await ids({ options: [{ name: "colour", values: ["red"] }], priceMin: 2000, inStock: false }), [red.id]);
    });

    it("sorts by the lowest variant price inside the price window, and lists such a product once", async () => {
      const wide = listedProduct({ prices: [500, 2500, 4000] });
      const [cheap, mid, dear] = [listedProduct({ prices: [900] }), listedProduct({ prices: [2200] }), listedProduct({ prices: [3000] })];
      await index.sync(byIds([wide, cheap, mid, dear]));
      const ids = async (direction: "ASC" | "DESC", filter: ListingFilter, first = 1) => (await everyPage(index, { field: "PRICE", direction }, filter, first)).ids;
      assert.deepEqual(await ids("ASC", {}), [wide.id, cheap.id, mid.id, dear.id]);
      assert.deepEqual(await ids("ASC", { priceMin: 2000 }), [mid.id, wide.id, dear.id]);
      assert.deepEqual(await ids("DESC", { priceMin: 2000 }), [dear.id, wide.id, mid.id]);
      assert.deepEqual(await ids("ASC", { priceMin: 2600, priceMax: 4500 }, 2), [dear.id, wide.id]);
      assert.deepEqual(await ids("DESC", { priceMax: 1000 }), [cheap.id, wide.id]);
    });

    it("keeps pages from repeating or skipping a product while prices change between them", async () => {
      const products = Array.from({ length: 12 }, (_, i) => listedProduct({ prices: [1000 + i * 10] }));
      await index.sync(byIds(products));
      const changed = new Set<string>();
      const seen: string[] = [];
      let after: string | undefined;
      for (let round = 0; round < 20; round++) {
        const page = await index.list({ first: 2, after, sort: { field: "PRICE", direction: "ASC" }, filter: {} });
        seen.push(...page.items.map((item) => item.id));
        // Between pages, move two products the reader has not reached and one it has passed.
        const ahead = products.filter((product) => !seen.includes(product.id) && !changed.has(product.id)).slice(-2);
        const behind = products.find((product) => seen.includes(product.id) && !changed.has(product.id));
        await Promise.all(
          [...ahead, ...(behind ? [behind] : [])].map((product) => {
            changed.add(product.id);
            const moved = { ...product, version: 2, variants: [{ ...(product as unknown as { variants: object[] }).variants[0], price: { amount: 1001 + round * 17, currency: "USD" } }] };
            return index.sync(new Map([[product.id, moved as unknown as Product]]));
          }),
        );
        if (!page.hasNextPage) break;
        after = page.endKey!;
      }
      const unchanged = products.filter((product) => !changed.has(product.id)).map((product) => product.id);
      for (const id of unchanged) assert.equal(seen.filter((each) => each === id).length, 1, `${id} listed once`);
      assert.equal(new Set(seen).size, seen.length, "no product twice");
    });

    it("gives every entry the card of the product version it lists, in every sort, through sync, load and build", async () => {
      const pictured = withImages(listedProduct({ prices: [2500, 900, 1700], name: "Pictured lamp" }), [
        { url: "products/lamp/1.jpg", alt: "The lamp, lit", width: 1200, height: 800, renditionWidths: [320, 640] },
        { url: "products/lamp/2.jpg", alt: "The lamp, off" },
      ]);
      const bare = listedProduct({ prices: [4200], name: "Bare shelf" });
      const cardOf = (product: Product) => ({ name: product.name, price: product.price, prices: [...new Set((product as unknown as { variants: { price: { amount: number } }[] }).variants.map((v) => v.price.amount))].sort((a, b) => a - b), image: product.images[0] ?? null, variantIds: (product as unknown as { variants: { id: string }[] }).variants.map((v) => v.id) });
      const cards = async () => {
        const seen = new Map<string, unknown[]>();
        for (const field of SORT_FIELDS) {
          for (const item of (await index.list({ first: 10, sort: { field, direction: "ASC" }, filter: {} })).items) seen.set(item.id, [...(seen.get(item.id) ?? []), item.card]);
        }
        return seen;
      };
      await index.sync(byIds([pictured, bare]));
      for (const product of [pictured, bare]) assert.deepEqual((await cards()).get(product.id), SORT_FIELDS.map(() => cardOf(product)));

      // A rename, a new price and a new main picture reach every entry with the new version; an older version changes nothing.
      const renamed = withImages({ ...pictured, name: "Renamed lamp", price: { amount: 800, currency: "USD" }, version: 2, variants: (pictured as unknown as { variants: { price: { amount: number } }[] }).variants.map((v, i) => ({ ...v, price: { amount: i === 1 ? 800 : v.price.amount, currency: "USD" } })) } as unknown as Product, [{ url: "products/lamp/3.jpg", alt: "The new lamp" }]);
      await index.sync(byIds([renamed]));
      await index.sync(byIds([{ ...pictured, version: 1 }]));
      assert.deepEqual((await cards()).get(pictured.id), SORT_FIELDS.map(() => cardOf(renamed)));

      const loaded = listedProduct({ name: "Loaded" });
      await index.load([loaded]);
      assert.deepEqual((await cards()).get(loaded.id), SORT_FIELDS.map(() => cardOf(loaded)));
    });

    it("builds cards into empty listings", async () => {
      const products = [withImages(listedProduct({ name: "Built one" }), [{ url: "products/built/1.jpg", alt: "Built" }]), listedProduct({ name: "Built two" })];
      await index.build((async function* () { yield products; })());
      const items = (await index.list({ first: 10, sort: { field: "NAME", direction: "ASC" }, filter: {} })).items;
      assert.deepEqual(items.map((item) => [item.id, item.card?.name, item.card?.price, item.card?.image]), products.map((product) => [product.id, product.name, product.price, product.images[0] ?? null]));
    });

    it("applies a product's versions in order, ignores a stale one, and makes a deletion final", async () => {
      const product = listedProduct({ prices: [1000], version: 3 });
      assert.equal(await index.isEmpty(), true);
      await index.sync(byIds([product]));
      assert.equal(await index.isEmpty(), false);
      await index.sync(byIds([{ ...product, version: 2, name: "Zzz stale" }]));
      const names = async () => (await everyPage(index, { field: "NAME", direction: "ASC" })).ids;
      assert.deepEqual(await names(), [product.id]);
      assert.deepEqual((await everyPage(index, { field: "PRICE", direction: "ASC" }, { priceMax: 1000 })).ids, [product.id]);
      await index.sync(new Map([[product.id, null]]));
      await index.sync(byIds([{ ...product, version: 9 }]));
      assert.deepEqual(await names(), []);
    });

    it("keeps stock flags by event time: a late older record never turns a flag back; replays change nothing", async () => {
      const product = listedProduct({ prices: [1000] });
      await index.sync(byIds([product]));
      const record = (inStock: boolean, at: number) => ({ productId: product.id, variantId: product.id, inStock, at: new Date(at) });
      assert.equal(await index.recordStock(record(true, 2_000)), true);
      assert.equal(await index.recordStock(record(true, 2_000)), false);
      assert.equal(await index.recordStock(record(false, 1_000)), false);
      const inStock = async () => (await everyPage(index, { field: "NEWEST", direction: "DESC" }, { inStock: true })).ids;
      assert.deepEqual(await inStock(), [product.id]);
      assert.equal(await index.recordStock(record(false, 3_000)), true);
      assert.deepEqual(await inStock(), []);
      // A record before the product is listed is kept for it.
      const later = listedProduct({ prices: [1000] });
      await index.recordStock({ productId: later.id, variantId: later.id, inStock: true, at: new Date(5_000) });
      await index.sync(byIds([later]));
      assert.deepEqual(await inStock(), [later.id]);
    });

    it("keeps a stock record that came before a first bulk load of its product", async () => {
      const [early, other] = [listedProduct(), listedProduct()];
      await index.recordStock({ productId: early.id, variantId: early.id, inStock: true, at: new Date(1_000) });
      await index.load([early, other]);
      assert.deepEqual((await everyPage(index, { field: "NEWEST", direction: "DESC" }, { inStock: true })).ids, [early.id]);
      assert.deepEqual((await everyPage(index, { field: "NEWEST", direction: "DESC" })).ids, expected([early, other], { field: "NEWEST", direction: "DESC" }));
    });

    it("counts a popularity batch once, however often it is replayed, per product", async () => {
      const [a, b] = [listedProduct(), listedProduct()] as [Product, Product];
      await index.sync(byIds([a, b]));
      await index.addPopularity(1, new Map([[a.id, 2]]));
      await index.addPopularity(1, new Map([[a.id, 2]]));
      await index.addPopularity(2, new Map([[b.id, 1]]));
      await index.addPopularity(3, new Map([[b.id, 4]]));
      // Batch 2 replayed with a product it never reached (a) and one that took later batches (b).
      await index.addPopularity(2, new Map([[a.id, 5], [b.id, 100]]));
      const sold = await index.popularity([a.id, b.id, "prod_none"]);
      assert.deepEqual(sold, new Map([[a.id, 7], [b.id, 5]]));
      assert.deepEqual((await everyPage(index, { field: "POPULARITY", direction: "DESC" })).ids, [a.id, b.id]);
    });

    it("builds a whole catalog into empty listings in one pass, every sort and category in order, and takes later changes", async () => {
      const products = Array.from({ length: 700 }, (_, i) => listedProduct({ category: i % 3 === 0 ? "books" : "music", prices: i % 5 === 0 ? [900 + (i % 89), 2000 + (i % 13)] : [1000 + (i % 97)], options: [{ colour: i % 7 === 0 ? "Red" : "Blue" }] }));
      const early = products[10]!;
      await index.recordStock({ productId: early.id, variantId: (early as unknown as { variants: { id: string }[] }).variants[0]!.id, inStock: true, at: new Date(1_000) });
      const progress: number[] = [];
      const batches = async function* () {
        for (let i = 0; i < products.length; i += 250) yield products.slice(i, i + 250);
      };
      assert.equal(await index.build(batches(), (listed) => progress.push(listed)), products.length);
      assert.deepEqual(progress, [250, 500, 700]);
      for (const field of SORT_FIELDS) {
        for (const direction of ["ASC", "DESC"] as const) {
          assert.deepEqual((await everyPage(index, { field, direction }, {}, 40)).ids, expected(products, { field, direction }), `${field} ${direction}`);
        }
      }
      const music = products.filter((product) => product.category === "music");
      assert.deepEqual((await everyPage(index, { field: "NAME", direction: "ASC" }, { categories: ["music"] }, 25)).ids, expected(music, { field: "NAME", direction: "ASC" }));
      // A stock record kept before the build still says in stock.
      assert.deepEqual((await everyPage(index, { field: "NEWEST", direction: "DESC" }, { inStock: true })).ids, [early.id]);
      // After the build the listings take changes as usual: a renamed product moves.
      const renamed = { ...products[0]!, name: "Aardvark first", version: 2 } as Product;
      await index.sync(byIds([renamed]));
      assert.equal((await index.list({ first: 1, sort: { field: "NAME", direction: "ASC" }, filter: {} })).items[0]!.id, renamed.id);
      await assert.rejects(index.build(batches()), /empty listings|hold entries/);
    });

    it("pages through a long listing under a selective filter to every match, each once", async () => {
      const products = Array.from({ length: 1_000 }, (_, i) => listedProduct({ prices: [1000 + (i % 97)], options: i % 333 === 5 ? [{ colour: "Rare" }] : [{ colour: "Common" }] }));
      await index.load(products);
      const rare = products.filter((_, i) => i % 333 === 5);
      const sort = { field: "NAME", direction: "ASC" } as const;
      const { ids } = await everyPage(index, sort, { options: [{ name: "colour", values: ["rare"] }] }, 20);
      assert.deepEqual(ids, expected(rare, sort));
      const all = await everyPage(index, { field: "PRICE", direction: "DESC" }, {}, 100);
      assert.deepEqual(all.ids, expected(products, { field: "PRICE", direction: "DESC" }));
    });
  });
}
