import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { Product } from "../src/domain/product.js";
import { withVariants } from "../src/domain/product-variants.js";
import { DuplicateSkuError, type ListPosition, type ProductStore } from "../src/ports/product-store.js";

let serial = 0;

/** A product with a unique id and SKU; `minute` orders creation times. */
export function sampleProduct(overrides: Partial<Product> & { minute?: number } = {}): Product {
  serial += 1;
  const { minute = serial, ...fields } = overrides;
  const createdAt = new Date(Date.UTC(2026, 0, 1) + minute * 60_000);
  return withVariants({
    id: `prod_c${String(serial).padStart(6, "0")}`,
    sku: `SKU-${String(serial).padStart(6, "0")}`,
    name: `Sample ${serial}`,
    description: "A product made for the contract suite.",
    price: { amount: 1999, currency: "USD" },
    images: [{ url: "products/sample/1.jpg", alt: "front" }],
    category: "books",
    brand: "Contract Press",
    attributes: { format: "Paperback", pages: "320" },
    createdAt,
    updatedAt: createdAt,
    version: 1,
    ...fields,
  });
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const batches: T[] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

/**
 * The guarantees of the `ProductStore` port, checked against one adapter. `create` returns
 * an empty store for every test; its `close` releases (and may drop) what the test used.
 */
export function defineProductStoreContract(engine: string, create: () => Promise<ProductStore>): void {
  describe(engineSuiteTitle("ProductStore contract", engine), { timeout: 60_000 }, () => {
    let store: ProductStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store?.close();
    });

    it("reads back an inserted product field for field, and nothing for unknown ids", async () => {
      const product = sampleProduct({ attributes: { colour: "Forest Green", screenSize: "27 in" } });
      await store.insert(product);
      const found = await store.findByIds([product.id, "prod_missing"]);
      assert.equal(found.size, 1);
      assert.deepEqual(found.get(product.id), product);
    });

    it("refuses a second product with the same SKU, alone or in a bulk load", async () => {
      const first = sampleProduct();
      await store.insert(first);
      await assert.rejects(store.insert(sampleProduct({ sku: first.sku })), (error: unknown) => error instanceof DuplicateSkuError && error.sku === first.sku);
      await assert.rejects(store.insertMany([sampleProduct(), sampleProduct({ sku: first.sku })]), DuplicateSkuError);
    });

    it("lists newest first, pages without gaps or overlaps, and filters by category", async () => {
      const products = [
        sampleProduct({ minute: 1, category: "books" }),
        sampleProduct({ minute: 2, category: "garden" }),
        sampleProduct({ minute: 3, category: "books" }),
        sampleProduct({ minute: 3, category: "books" }),
        sampleProduct({ minute: 4, category: "garden" }),
      ];
      await store.insertMany(products);
      const expected = [...products].reverse().map((p) => p.id);

      const seen: string[] = [];
      let position: ListPosition | undefined;
      for (;;) {
        const page = await store.list({ first: 2, after: position });
        seen.push(...page.items.map((item) => item.product.id));
        if (!page.hasNextPage) break;
        position = page.items.at(-1)!.position;
      }
      assert.deepEqual(seen, expected);

      const books = await store.list({ first: 10, category: "books" });
      assert.deepEqual(books.items.map((item) => item.product.id), expected.filter((id) => products.find((p) => p.id === id)!.category === "books"));
      assert.equal(books.hasNextPage, false);
      const firstBook = await store.list({ first: 1, category: "books" });
      const nextBooks = await store.list({ first: 10, category: "books", after: firstBook.items[0]!.position });
      assert.deepEqual(nextBooks.items.map((item) => item.product.id), books.items.slice(1).map((item) => item.product.id));
      assert.equal(await store.count({}), 5);
      assert.equal(await store.count({ category: "garden" }), 2);
      assert.equal(await store.count({ category: "toys" }), 0);
      assert.deepEqual((await store.list({ first: 10, category: "toys" })).items, []);
    });

    it("pages through listings longer than any internal block, newest first", async () => {
      const products = Array.from({ length: 230 }, (_, i) => sampleProduct({ category: i % 3 === 0 ? "garden" : "books" }));
      for (let i = 0; i < products.length; i += 50) await store.insertMany(products.slice(i, i + 50));
      await store.remove(products[120]!.id, new Date());
      const live = products.filter((_, i) => i !== 120).reverse();
      for (const category of [undefined, "garden"]) {
        const seen: string[] = [];
        let position: ListPosition | undefined;
        for (;;) {
          const page = await store.list({ first: 40, after: position, category });
          seen.push(...page.items.map((item) => item.product.id));
          if (!page.hasNextPage) break;
          position = page.items.at(-1)!.position;
        }
        assert.deepEqual(seen, live.filter((p) => !category || p.category === category).map((p) => p.id), category ?? "all");
      }
      assert.equal(await store.count({}), 229);
      assert.equal(await store.count({ category: "garden" }), 76);
    });

    it("pages past long runs of deleted products, whatever the page size", async () => {
      const products = Array.from({ length: 150 }, (_, i) => sampleProduct({ category: i % 2 ? "garden" : "books" }));
      await store.insertMany(products);
      // A run longer than several internal blocks, and scattered single deletions.
      const removed = new Set([...Array.from({ length: 75 }, (_, i) => 40 + i), 3, 17, 130, 149]);
      for (const i of removed) await store.remove(products[i]!.id, new Date());
      const live = products.filter((_, i) => !removed.has(i)).reverse();
      for (const first of [1, 7, 20, 100]) {
        for (const category of [undefined, "garden"]) {
          const seen: string[] = [];
          let position: ListPosition | undefined;
          for (let pages = 0; ; pages++) {
            const page = await store.list({ first, after: position, category });
            assert.ok(page.items.length === first || !page.hasNextPage, "a page is full unless it is the last");
            seen.push(...page.items.map((item) => item.product.id));
            if (!page.hasNextPage) break;
            position = page.items.at(-1)!.position;
          }
          assert.deepEqual(seen, live.filter((p) => !category || p.category === category).map((p) => p.id), `first ${first}, ${category ?? "all"}`);
        }
      }
    });

    it("lists a product moved to another category first in that category, and counts it there", async () => {
      const [a, b, c] = [sampleProduct({ category: "books" }), sampleProduct({ category: "garden" }), sampleProduct({ category: "garden" })];
      await store.insertMany([a, b, c]);
      await store.update(a.id, { category: "garden" }, new Date());
      const garden = await store.list({ first: 10, category: "garden" });
      assert.deepEqual(garden.items.map((item) => item.product.id), [a.id, c.id, b.id]);
      assert.deepEqual([await store.count({ category: "books" }), await store.count({ category: "garden" }), await store.count({})], [0, 3, 3]);
      assert.deepEqual((await store.list({ first: 10, category: "books" })).items, []);
    });

    it("applies an update, bumps the version and leaves other fields alone", async () => {
      const product = sampleProduct();
      await store.insert(product);
      const now = new Date(Date.UTC(2026, 5, 1));
      const updated = await store.update(product.id, { name: "Renamed", price: { amount: 2599, currency: "USD" }, attributes: { format: "Hardcover" } }, now);
      assert.ok(updated);
      assert.equal(updated.version, 2);
      assert.equal(updated.name, "Renamed");
      assert.deepEqual(updated.attributes, { format: "Hardcover" }, "attributes are replaced as a whole");
      assert.equal(updated.description, product.description);
      assert.deepEqual(updated.updatedAt, now);
      assert.deepEqual((await store.findByIds([product.id])).get(product.id), updated);
      assert.equal(await store.update("prod_missing", { name: "x" }, now), null);
    });

    it("keeps an uploaded image's size and rendition widths beside images that have only a URL", async () => {
      const product = sampleProduct({ images: [{ url: "products/legacy/1.jpg", alt: "Old" }] });
      await store.insert(product);
      const uploaded = { url: `originals/${"c".repeat(64)}.png`, alt: "Uploaded", width: 1600, height: 900 };
      await store.update(product.id, (current) => ({ images: [...current.images, uploaded] }), new Date());
      await store.update(product.id, (current) => ({ images: current.images.map((image) => (image.url === uploaded.url ? { ...image, renditionWidths: [320, 640, 1280] } : image)) }), new Date());
      assert.deepEqual((await store.findByIds([product.id])).get(product.id)?.images, [
        { url: "products/legacy/1.jpg", alt: "Old" },
        { ...uploaded, renditionWidths: [320, 640, 1280] },
      ]);
    });

    it("hides a removed product at once, releases its SKU and refuses to change it again", async () => {
      const product = sampleProduct();
      await store.insert(product);
      assert.equal(await store.remove(product.id, new Date()), true);
      assert.equal((await store.findByIds([product.id])).size, 0);
      assert.equal(await store.count({}), 0);
      assert.equal((await store.list({ first: 10 })).items.length, 0);
      assert.equal(await store.count({ category: product.category }), 0);
      assert.equal(await store.remove(product.id, new Date()), false);
      assert.equal(await store.wasDeleted(product.id), true, "a deletion sent again is told from an id never had");
      assert.equal(await store.wasDeleted(sampleProduct().id), false);
      assert.equal(await store.update(product.id, { name: "ghost" }, new Date()), null);
      await store.insert(sampleProduct({ sku: product.sku }));
    });

    it("records every write as unpublished until the relay marks that version", async () => {
      const a = sampleProduct();
      const b = sampleProduct();
      await store.insertMany([a, b]);
      const pending = await store.unpublishedChanges(10);
      assert.deepEqual(pending.map((c) => [c.productId, c.version, c.deleted]).sort(), [[a.id, 1, false], [b.id, 1, false]]);
      assert.deepEqual(pending.find((c) => c.productId === a.id)!.product, a);

      await store.markPublished(pending);
      assert.deepEqual(await store.unpublishedChanges(10), []);

      await store.update(a.id, { name: "Changed" }, new Date());
      const [change] = await store.unpublishedChanges(10);
      assert.equal(change!.version, 2);
      assert.equal(change!.product!.name, "Changed");
    });

    it("keeps a write made while its older version was being published pending", async () => {
      const product = sampleProduct();
      await store.insert(product);
      const [v1] = await store.unpublishedChanges(10);
      await store.update(product.id, { name: "Written meanwhile" }, new Date());
      await store.markPublished([v1!]);
      const after = await store.unpublishedChanges(10);
      assert.deepEqual(after.map((c) => [c.productId, c.version, c.product?.name]), [[product.id, 2, "Written meanwhile"]]);
    });

    it("announces a removal as a tombstone with the next version once, and keeps the tombstone", async () => {
      const product = sampleProduct();
      await store.insert(product);
      await store.markPublished(await store.unpublishedChanges(10));
      await store.remove(product.id, new Date());
      const [tombstone] = await store.unpublishedChanges(10);
      assert.deepEqual([tombstone!.productId, tombstone!.version, tombstone!.deleted, tombstone!.product], [product.id, 2, true, undefined]);
      await store.markPublished([tombstone!]);
      assert.deepEqual(await store.unpublishedChanges(10), []);
      assert.equal(await store.wasDeleted(product.id), true);
      assert.equal((await store.findByIds([product.id])).size, 0);
    });

    it("loads a bulk without announcing it when asked, for a load a reindex follows", async () => {
      await store.insertMany([sampleProduct(), sampleProduct()], { announce: false });
      assert.deepEqual(await store.unpublishedChanges(10), []);
      assert.equal(await store.count({}), 2);
    });

    it("marks a page of hundreds of changes published in one call", async () => {
      await store.insertMany(Array.from({ length: 300 }, () => sampleProduct()));
      await store.markPublished(await store.unpublishedChanges(300));
      assert.deepEqual(await store.unpublishedChanges(10), []);
    });

    it("never loses one of many concurrent updates to a product", async () => {
      const product = sampleProduct();
      await store.insert(product);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.update(product.id, { price: { amount: 100 + i, currency: "USD" } }, new Date())));
      assert.deepEqual(results.map((p) => p!.version).sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.equal((await store.findByIds([product.id])).get(product.id)!.version, 11);
    });

    it("never loses a write that races the relay marking the previous version published", async () => {
      const product = sampleProduct();
      await store.insert(product);
      for (let round = 1; round <= 10; round++) {
        const [published] = await store.unpublishedChanges(10);
        await Promise.all([store.markPublished([published!]), store.update(product.id, { name: `Round ${round}` }, new Date())]);
        const [pending] = await store.unpublishedChanges(10);
        assert.deepEqual([pending?.version, pending?.product?.name], [round + 1, `Round ${round}`], `round ${round}`);
      }
    });

    it("returns at most `limit` unpublished changes", async () => {
      await store.insertMany(Array.from({ length: 7 }, () => sampleProduct()));
      assert.equal((await store.unpublishedChanges(5)).length, 5);
    });

    it("scans every live product once, oldest first, in batches, and resumes after a batch", async () => {
      const products = Array.from({ length: 11 }, () => sampleProduct());
      await store.insertMany(products);
      await store.remove(products[4]!.id, new Date());
      const batches = await all(store.scan(4));
      assert.deepEqual(batches.map((b) => b.products.length), [4, 4, 2]);
      const ids = batches.flatMap((b) => b.products.map((p) => p.id));
      assert.deepEqual(ids, products.filter((_, i) => i !== 4).map((p) => p.id));
      const rest = (await all(store.scan(100, batches[0]!.after))).flatMap((b) => b.products.map((p) => p.id));
      assert.deepEqual(rest, ids.slice(4), "a scan resumes just after the given batch");
    });

    it("scans newest first when asked, resumes below a batch, and refuses a position of the other order", async () => {
      const products = Array.from({ length: 11 }, () => sampleProduct());
      await store.insertMany(products.slice(0, 6));
      for (const product of products.slice(6)) await store.insert(product);
      await store.remove(products[4]!.id, new Date());
      await store.update(products[1]!.id, { name: "Renamed, still where its creation put it" }, new Date());
      const newest = { newestFirst: true };
      const batches = await all(store.scan(4, undefined, newest));
      assert.deepEqual(batches.map((b) => b.products.length), [4, 4, 2]);
      const ids = batches.flatMap((b) => b.products.map((p) => p.id));
      assert.deepEqual(ids, products.filter((_, i) => i !== 4).map((p) => p.id).reverse());
      const rest = (await all(store.scan(100, batches[0]!.after, newest))).flatMap((b) => b.products.map((p) => p.id));
      assert.deepEqual(rest, ids.slice(4), "a newest-first scan resumes just below the given batch");
      const oldest = await all(store.scan(4));
      await assert.rejects(all(store.scan(4, batches[0]!.after)), /position/, "an oldest-first scan from a newest-first position");
      await assert.rejects(all(store.scan(4, oldest[0]!.after, newest)), /position/, "a newest-first scan from an oldest-first position");
    });
  });
}
