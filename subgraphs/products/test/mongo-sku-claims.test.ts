import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { describeWithRealEngine } from "#kernel/testing";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import { CLAIM_GRACE_MS } from "../src/adapters/mongo-sku-claims.js";
import { DuplicateSkuError } from "../src/ports/product-store.js";
import { sampleProduct } from "./product-store.contract.js";
import { apparelProduct } from "./product-store-variants.contract.js";

describeWithRealEngine({ suite: "SKU claims", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  describe("SKU claims left behind by a process that died mid-write", { timeout: 60_000 }, () => {
    it("honours a fresh claim whose product is not written yet, and takes over a stale one or a deleted product's", async () => {
      const collection = `claims_${randomUUID().replaceAll("-", "")}`;
      const client = await MongoClient.connect(url);
      const claims = client.db("storefront_test").collection(`${collection}_skus`);
      const store = await MongoProductStore.connect(url, { database: "storefront_test", collection });
      try {
        // A claim taken a moment ago for a product still being written: the SKU is taken.
        await claims.insertOne({ _id: "SKU-INFLIGHT", productId: "prod_inflight", claimedAt: new Date() } as never);
        await assert.rejects(store.insert(sampleProduct({ sku: "SKU-INFLIGHT" })), DuplicateSkuError);

        // The same, left by a process that died long ago: the next product takes it.
        await claims.insertOne({ _id: "SKU-ORPHAN", productId: "prod_crashed", claimedAt: new Date(Date.now() - CLAIM_GRACE_MS - 1_000) } as never);
        const heir = apparelProduct();
        heir.variants[2] = { ...heir.variants[2]!, sku: "SKU-ORPHAN" };
        await store.insert(heir);
        assert.equal(await store.skuHolder("SKU-ORPHAN"), heir.id);

        // A claim whose product was deleted before it could release it: free at once.
        const gone = sampleProduct({ sku: "SKU-GONE" });
        await store.insert(gone);
        await store.remove(gone.id, new Date());
        await claims.insertOne({ _id: "SKU-GONE", productId: gone.id, claimedAt: new Date() } as never);
        await store.insert(sampleProduct({ sku: "SKU-GONE" }));

        // A product that lost a race releases every claim it took on its way.
        const loser = apparelProduct();
        loser.variants[3] = { ...loser.variants[3]!, sku: "SKU-INFLIGHT" };
        await assert.rejects(store.insert(loser), DuplicateSkuError);
        for (const sku of [loser.sku, ...loser.variants.slice(0, 3).map((v) => v.sku)]) assert.equal(await store.skuHolder(sku), undefined, sku);
      } finally {
        await store.drop();
        await store.close();
        await client.close();
      }
    });
  });
});
