import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { MongoProductStore, type ProductWriteLock } from "../src/adapters/mongo-product-store.js";
import { defineProductStoreContract, sampleProduct } from "./product-store.contract.js";
import { defineProductVariantStoreContract } from "./product-store-variants.contract.js";

defineProductStoreContract("embedded", async () => new EmbeddedProductStore());
defineProductVariantStoreContract("embedded", async () => new EmbeddedProductStore());

/** Per-product write locks as production wires them (there on Redis; one process here). */
const locks = createLockService(new EmbeddedKeyValueStore());
const lock: ProductWriteLock = (productId, work) => locks.withLock(`product:${productId}`, work, { ttlMs: 5_000, waitMs: 5_000 });

describeWithRealEngine({ suite: "ProductStore contract", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  const create = async () => {
    // A collection of its own per test, dropped on close: runs never see each other's data.
    const collection = `contract_${randomUUID().replaceAll("-", "")}`;
    const store = await MongoProductStore.connect(url, { database: "storefront_test", collection, lock });
    const close = store.close.bind(store);
    return Object.assign(store, {
      async close() {
        await store.drop();
        await close();
      },
    });
  };
  defineProductStoreContract("mongodb", create);
  defineProductVariantStoreContract("mongodb", create);

  describe("MongoProductStore on an existing catalog", () => {
    it("opens a catalog a previous start already indexed, and keeps its products", async () => {
      const collection = `reopen_${randomUUID().replaceAll("-", "")}`;
      const product = sampleProduct();
      const first = await MongoProductStore.connect(url, { database: "storefront_test", collection, lock });
      await first.insert(product);
      await first.close();
      const second = await MongoProductStore.connect(url, { database: "storefront_test", collection, lock });
      try {
        assert.deepEqual((await second.findByIds([product.id])).get(product.id), product);
        await assert.rejects(second.insert(sampleProduct({ sku: product.sku })), /already exists/);
      } finally {
        await second.drop();
        await second.close();
      }
    });
  });
});
