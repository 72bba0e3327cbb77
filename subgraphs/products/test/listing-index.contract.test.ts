import { randomUUID } from "node:crypto";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import { MongoListingIndex } from "../src/adapters/mongo-listing-index.js";
import { defineListingIndexContract } from "./listing-index.contract.js";

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
