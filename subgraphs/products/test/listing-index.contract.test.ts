import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
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
