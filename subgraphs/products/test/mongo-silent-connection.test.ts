// The document engine silent (a hung FerretDB, a network path that lost the connections'
// state): a product read must fail within its bounds with an error clients are told to retry,
// and the store must serve again on new connections with no restart. Before, a read sent on a
// connection that went silent waited for ever, held its pooled connection, and every read after
// it waited for a connection that never came back.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { describeWithRealEngine, startCuttableProxy, waitFor, type CuttableProxy } from "#kernel/testing";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import { sampleProduct } from "./product-store.contract.js";

const QUERY_TIMEOUT_MS = 1_000;
const POOL_SIZE = 2;
/** The client's answer bound (the read's deadline plus the margin) and what a loaded machine may add; the old store waited for ever. */
const ANSWER_BOUND_MS = QUERY_TIMEOUT_MS + 10_000 + 5_000;

describeWithRealEngine({ suite: "the MongoDB product store when its connections go silent", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  describe("the MongoDB product store when its connections go silent", { timeout: 90_000 }, () => {
    const database = "storefront_test";
    const collection = `silent_${randomUUID().replaceAll("-", "")}`;
    let proxy: CuttableProxy;
    let store: MongoProductStore;
    const product = sampleProduct({ sku: `SKU-${collection}` });
    before(async () => {
      const target = new URL(url);
      proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 27017) });
      const via = new URL(proxy.via(url));
      via.searchParams.set("directConnection", "true");
      store = await MongoProductStore.connect(via.toString(), { database, collection, maxPoolSize: POOL_SIZE, queryTimeoutMs: QUERY_TIMEOUT_MS });
      await store.insert(product);
    });
    after(async () => {
      await store?.close();
      await proxy?.close();
      const client = await MongoClient.connect(url);
      for (const suffix of ["", "_skus", "_counters"]) await client.db(database).collection(`${collection}${suffix}`).drop().catch(() => undefined);
      await client.close();
    });

    it("ends reads in flight and reads waiting for a connection within its bounds, answered or retryable, then serves on new connections", async () => {
      await Promise.all(Array.from({ length: POOL_SIZE }, () => store.findByIds([product.id])));
      // Every pooled connection busy with a read when the path goes silent for good, and one more
      // read waiting for a connection behind them.
      proxy.delay(300);
      const reads = Array.from({ length: POOL_SIZE + 1 }, async () => {
        const startedAt = performance.now();
        const error = await store.findByIds([product.id]).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        return { error, ms: performance.now() - startedAt };
      });
      proxy.strand();
      proxy.delay(0);
      const outcomes = await Promise.all(reads);
      for (const { error, ms } of outcomes) {
        assert.ok(ms < ANSWER_BOUND_MS, `answered after ${Math.round(ms)} ms`);
        if (error !== undefined) assert.equal(isTransientInfrastructureError(error), true, String(error));
      }
      // A read whose connection timed out may have been retried by the driver on a new one and answered.
      await waitFor("the store serves again", () => store.findByIds([product.id]).then((found) => found.get(product.id)?.id === product.id, () => false), { timeoutMs: 30_000, intervalMs: 100 });
    });
  });
});
