import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { it } from "node:test";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import { MongoListingIndex } from "../src/adapters/mongo-listing-index.js";
import { defineListingIndexContract, listedProduct } from "./listing-index.contract.js";

defineListingIndexContract("embedded", async () => new EmbeddedListingIndex());

/** Locks as production wires them (there on Redis; one process here). */
const locks = createLockService(new EmbeddedKeyValueStore());

describeWithRealEngine({ suite: "ListingIndex contract", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  defineListingIndexContract("mongodb", async () => {
    // Collections of their own per test, dropped on close: runs never see each other's data.
    const collection = `listing_${randomUUID().replaceAll("-", "")}`;
    const index = await MongoListingIndex.connect(url, { database: "storefront_test", collection, lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 }) });
    const close = index.close.bind(index);
    return Object.assign(index, {
      async close() {
        await index.drop();
        await close();
      },
    });
  });
});

describeWithRealEngine({ suite: "ListingIndex on MongoDB from two processes", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  it("keeps one listing whole when two processes, each with its own copy of the heads, split its leaves in turn", async () => {
    const collection = `listing_${randomUUID().replaceAll("-", "")}`;
    const lock = <T>(resource: string, work: () => Promise<T>) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 });
    // Connected at the same moment, as two replicas starting together would.
    const opened = await Promise.allSettled([0, 1].map(() => MongoListingIndex.connect(url, { database: "storefront_test", collection, lock })));
    const [a, b] = opened.map((result) => (result.status === "fulfilled" ? result.value : undefined));
    try {
      for (const result of opened) if (result.status === "rejected") throw result.reason;
      const products = Array.from({ length: 600 }, () => listedProduct({ category: "books" }));
      // Rounds of 100 new products each, alternating writers: every round splits leaves the
      // other process's copy of the head does not know about yet.
      for (let round = 0; round < 6; round++) {
        const writer = round % 2 === 0 ? a! : b!;
        const batch = products.slice(round * 100, round * 100 + 100);
        await writer.sync(new Map(batch.map((product) => [product.id, product])));
      }
      // A rename through the process whose copy is oldest moves the product correctly.
      const renamed = { ...products[3]!, name: "Aaa first", version: 2 } as typeof products[number];
      await b!.sync(new Map([[renamed.id, renamed]]));
      for (const reader of [a!, b!]) {
        const ids: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await reader.list({ first: 100, after, sort: { field: "NAME", direction: "ASC" }, filter: {} });
          ids.push(...page.items.map((item) => item.id));
          if (!page.hasNextPage) break;
          after = page.endKey!;
        }
        assert.equal(ids.length, products.length);
        assert.equal(new Set(ids).size, products.length, "no product twice");
        assert.equal(ids[0], renamed.id);
      }
    } finally {
      await (a ?? b)?.drop();
      await a?.close();
      await b?.close();
    }
  });
});

describeWithRealEngine({ suite: "ListingIndex on MongoDB: what a change writes", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  it("a stock event that keeps the flag writes no listing, a flip writes the product's listings, a sale only the popularity ones", async () => {
    const collection = `listing_${randomUUID().replaceAll("-", "")}`;
    // Every listing written takes its `listing:<name>` lock: the record of what was written.
    const written: string[] = [];
    const lock = <T>(resource: string, work: () => Promise<T>) => {
      if (resource.startsWith("listing:")) written.push(resource.slice("listing:".length));
      return locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 });
    };
    const index = await MongoListingIndex.connect(url, { database: "storefront_test", collection, lock });
    try {
      const product = listedProduct({ category: "garden" });
      const other = listedProduct({ category: "garden" });
      await index.sync(new Map([[product.id, product], [other.id, other]]));
      await index.recordStock({ productId: product.id, variantId: product.id, inStock: true, at: new Date(1_000) });
      await index.recordStock({ productId: other.id, variantId: other.id, inStock: true, at: new Date(1_000) });

      written.length = 0;
      assert.equal(await index.recordStock({ productId: product.id, variantId: product.id, inStock: true, at: new Date(2_000) }), false);
      assert.equal(written.join(", "), "", "the flag stayed: no leaf is rewritten");

      assert.equal(await index.recordStock({ productId: product.id, variantId: product.id, inStock: false, at: new Date(3_000) }), true);
      assert.ok(written.length >= 2, `a flip rewrites the product's listings (${written.join(", ")})`);
      assert.ok(written.some((listing) => listing.endsWith("|*")) && written.some((listing) => listing.endsWith("|garden")));
      const inStockOnly = await index.list({ first: 10, sort: { field: "NAME", direction: "ASC" }, filter: { inStock: true } });
      assert.deepEqual(inStockOnly.items.map((item) => item.id), [other.id], "and the listings hold the new flag");

      written.length = 0;
      await index.addPopularity(7, new Map([[product.id, 3]]));
      assert.ok(written.length > 0, "a sale moves the product in the popularity listings");
      assert.ok(written.every((listing) => listing.startsWith("POPULARITY|")), `only those (${written.join(", ")})`);
      const popular = await index.list({ first: 1, sort: { field: "POPULARITY", direction: "DESC" }, filter: {} });
      assert.equal(popular.items[0]?.id, product.id);
    } finally {
      await index.drop();
      await index.close();
    }
  });
});

describeWithRealEngine({ suite: "ListingIndex on MongoDB: how leaves are stored", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  it("stores leaves and heads as text, reads leaves and heads stored as arrays, and writes a leaf it changes back as text", async () => {
    const collection = `listing_${randomUUID().replaceAll("-", "")}`;
    const index = await MongoListingIndex.connect(url, { database: "storefront_test", collection });
    const raw = new MongoClient(url);
    try {
      await raw.connect();
      const documents = raw.db("storefront_test").collection<{ _id: string; kind: string; entries?: unknown; leaves?: unknown }>(`${collection}_listings`);
      // Past a leaf's capacity (200), so the listings hold several leaves and a split head.
      const products = Array.from({ length: 450 }, () => listedProduct({ category: "kitchen" }));
      await index.sync(new Map(products.map((product) => [product.id, product])));
      const pagesOf = async (source: MongoListingIndex) => {
        const ids: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await source.list({ first: 70, after, sort: { field: "NAME", direction: "ASC" }, filter: {} });
          ids.push(...page.items.map((item) => `${item.id}:${item.card?.name}`));
          if (!page.hasNextPage) return ids;
          after = page.endKey!;
        }
      };
      const listed = await pagesOf(index);
      assert.equal(listed.length, products.length);

      const stored = await documents.find({}).toArray();
      assert.ok(stored.filter((doc) => doc.kind === "leaf").length > 2, "several leaves");
      for (const doc of stored) assert.equal(typeof (doc.kind === "leaf" ? doc.entries : doc.leaves), "string", `${doc._id} stored as text`);
      assert.equal(await index.inCurrentFormat(), true);

      // Listings written before: the same documents with arrays.
      for (const doc of stored) {
        const field = doc.kind === "leaf" ? "entries" : "leaves";
        await documents.updateOne({ _id: doc._id }, { $set: { [field]: JSON.parse(doc[field] as string) } });
      }
      assert.equal(await index.inCurrentFormat(), false);
      const reopened = await MongoListingIndex.connect(url, { database: "storefront_test", collection });
      try {
        assert.deepEqual(await pagesOf(reopened), listed, "arrays read as before, through a head read afresh");

        // A name with what JSON text escapes: quotes, a backslash, a line separator, an emoji.
        const name = 'Aaa "first" \\ ]}\u2028 🛒';
        const renamed = { ...products[0]!, name, version: 2 } as (typeof products)[number];
        await reopened.sync(new Map([[renamed.id, renamed]]));
        const after = await pagesOf(reopened);
        assert.equal(after[0], `${renamed.id}:${name}`);
        assert.equal(after.length, products.length);
        const leaves = await documents.find({ kind: "leaf" }).toArray();
        const asText = leaves.filter((leaf) => typeof leaf.entries === "string").length;
        assert.ok(asText > 0 && asText < leaves.length, `the leaves the rename wrote are text again, the others untouched (${asText} of ${leaves.length})`);
      } finally {
        await reopened.close();
      }
    } finally {
      await raw.close();
      await index.drop();
      await index.close();
    }
  });
  it("writes arrays under the array format, which builds before text leaves read, by a build and by changes alike", async () => {
    const collection = `listing_${randomUUID().replaceAll("-", "")}`;
    const index = await MongoListingIndex.connect(url, { database: "storefront_test", collection, leafFormat: "array" });
    const raw = new MongoClient(url);
    try {
      await raw.connect();
      const documents = raw.db("storefront_test").collection<{ _id: string; kind: string; entries?: unknown; leaves?: unknown }>(`${collection}_listings`);
      const built = Array.from({ length: 250 }, () => listedProduct({ category: "garden" }));
      await index.build((async function* () {
        yield built;
      })());
      // Changes after the build: new products split leaves, which writes leaves and heads.
      const added = Array.from({ length: 250 }, () => listedProduct({ category: "garden" }));
      await index.sync(new Map(added.map((product) => [product.id, product])));
      const stored = await documents.find({}).toArray();
      assert.ok(stored.filter((doc) => doc.kind === "leaf").length > 2);
      for (const doc of stored) assert.ok(Array.isArray(doc.kind === "leaf" ? doc.entries : doc.leaves), `${doc._id} stored as an array`);
      const page = await index.list({ first: 500, sort: { field: "NEWEST", direction: "ASC" }, filter: {} });
      assert.equal(page.items.length, 500);
    } finally {
      await raw.close();
      await index.drop();
      await index.close();
    }
  });
});
