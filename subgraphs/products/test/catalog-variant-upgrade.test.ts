import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { describeWithRealEngine } from "#kernel/testing";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import { VARIANT_MIGRATION_PROGRESS } from "../src/adapters/mongo-catalog-variant-migration.js";
import { LISTING_BLOCK } from "../src/adapters/mongo-product-queries.js";
import type { Product } from "../src/domain/product.js";
import { DuplicateSkuError } from "../src/ports/product-store.js";
import { sampleProduct } from "./product-store.contract.js";
import { apparelProduct } from "./product-store-variants.contract.js";

/** A product document as the version before variants wrote it: no options, variants or key counter. */
function beforeVariants(p: Product) {
  const { id, options: _o, variants: _v, lastVariantKey: _k, ...fields } = p;
  return { _id: id, ...fields, deleted: false, pending: false };
}

describeWithRealEngine({ suite: "Catalog variant upgrade", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  describe("Catalog upgrade to variants on MongoDB", { timeout: 120_000 }, () => {
    it("gives every old product its default variant and SKU claim, resumes after a crash, and changes nothing the second time", async () => {
      const collection = `variants_${randomUUID().replaceAll("-", "")}`;
      const client = await MongoClient.connect(url);
      const db = client.db("storefront_test");
      const store = await MongoProductStore.connect(url, { database: "storefront_test", collection });
      try {
        // 130 products written before variants (7 listing blocks), then one by this version.
        const old = Array.from({ length: 130 }, (_, i) => sampleProduct({ minute: i }));
        await db.collection(collection).insertMany(old.map(beforeVariants) as never[]);
        await store.migrateLayout();
        const tee = apparelProduct();
        await store.insert(tee);

        // Before the upgrade every old product already reads with its default variant.
        const before = await store.findByIds(old.map((p) => p.id));
        assert.deepEqual(before.get(old[0]!.id), old[0]);
        assert.deepEqual(old[0]!.variants, [{ id: old[0]!.id, sku: old[0]!.sku, options: [], price: old[0]!.price, images: [] }]);

        // A run that dies after its first round (five blocks) keeps what it did ...
        await assert.rejects(
          store.migrateVariants({
            onProgress: () => {
              throw new Error("process killed");
            },
          }),
          /process killed/,
        );
        const rounds = 5;
        const raw = () => db.collection<{ _id: string } & Record<string, unknown>>(collection).find({}).toArray();
        const migratedFirst = (await raw()).filter((doc) => doc.lastVariantKey !== undefined && doc._id !== tee.id).length;
        assert.equal(migratedFirst, rounds * LISTING_BLOCK - 1, "blocks 0-4 hold numbers 1-99");

        // ... and the next run resumes there and finishes.
        const second = await store.migrateVariants();
        assert.equal(second.resumedAtBlock, rounds);
        assert.equal(second.migrated, old.length - migratedFirst);
        assert.deepEqual(second.skuConflicts, []);
        for (const doc of await raw()) {
          if (doc._id === tee.id) continue;
          assert.deepEqual([doc.options, doc.lastVariantKey, doc.variants], [[], 0, [{ id: doc._id, sku: doc.sku, options: [], price: doc.price, images: [] }]]);
        }
        assert.deepEqual(await store.findByIds(old.map((p) => p.id)), before, "what readers see is unchanged");

        // Every old SKU is claimed now: no variant may take one.
        assert.equal(await store.skuHolder(old[40]!.sku), old[40]!.id);
        const clash = apparelProduct();
        clash.variants[0] = { ...clash.variants[0]!, sku: old[40]!.sku };
        await assert.rejects(store.insert(clash), DuplicateSkuError);

        // From the start again: nothing left to do; the SKU claimed by another product is reported.
        const again = await store.migrateVariants({ restart: true });
        assert.deepEqual([again.resumedAtBlock, again.scanned, again.migrated], [0, old.length + 1, 0]);
        const restartedFromScratch = await db.collection(collection).countDocuments({ lastVariantKey: { $exists: false } });
        assert.equal(restartedFromScratch, 0);
        assert.ok((await db.collection(`${collection}_counters`).findOne({ _id: VARIANT_MIGRATION_PROGRESS } as never))!.n > 0);
      } finally {
        await store.drop();
        await store.close();
        await client.close();
      }
    });

    it("reports an old product's SKU that another product claimed first, and still migrates the product", async () => {
      const collection = `variants_${randomUUID().replaceAll("-", "")}`;
      const client = await MongoClient.connect(url);
      const db = client.db("storefront_test");
      const store = await MongoProductStore.connect(url, { database: "storefront_test", collection });
      try {
        const old = Array.from({ length: 3 }, (_, i) => sampleProduct({ minute: i }));
        await db.collection(collection).insertMany(old.map(beforeVariants) as never[]);
        await store.migrateLayout();
        await db.collection(`${collection}_skus`).insertOne({ _id: old[1]!.sku, productId: "prod_other", claimedAt: new Date() } as never);
        const report = await store.migrateVariants();
        assert.deepEqual(report.skuConflicts, [{ sku: old[1]!.sku, productId: old[1]!.id, holder: "prod_other" }]);
        assert.equal(report.migrated, 3);
      } finally {
        await store.drop();
        await store.close();
        await client.close();
      }
    });
  });
});
