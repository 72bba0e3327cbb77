import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { createLogger } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { seedDemoCatalog } from "../../../platform/seed-demo-catalog.js";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import type { Product } from "../src/domain/product.js";
import type { ProductStore } from "../src/ports/product-store.js";
import { sampleProduct } from "./product-store.contract.js";

const logged: string[] = [];
const logger = createLogger("warn", {}, (line) => void logged.push(line));

async function listAll(store: ProductStore, category?: string): Promise<string[]> {
  const ids: string[] = [];
  let after;
  for (;;) {
    const page = await store.list({ first: 7, after, category });
    ids.push(...page.items.map((item) => item.product.id));
    if (!page.hasNextPage) return ids;
    after = page.items.at(-1)!.position;
  }
}

describe("Demo catalog seeding on the in-memory store", () => {
  it("seeds an empty store once, and leaves a store that holds products alone", async () => {
    const store = new EmbeddedProductStore();
    assert.equal(await store.isEmpty(), true);
    assert.equal(await seedDemoCatalog({ store, count: 30, logger }), 30);
    assert.equal(await store.isEmpty(), false);
    assert.equal(await seedDemoCatalog({ store, count: 30, logger }), 0);
    assert.equal(await store.count({}), 30);
  });

  it("counts a store whose only product was deleted as not empty (its tombstone awaits the relay)", async () => {
    const store = new EmbeddedProductStore();
    const product = sampleProduct();
    await store.insert(product);
    await store.remove(product.id, new Date());
    assert.equal(await store.isEmpty(), false);
  });
});

describeWithRealEngine({ suite: "Catalog upgrade", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  describe("Catalog upgrade on MongoDB", { timeout: 120_000 }, () => {
    /** A product document as the version before listing numbers wrote it. */
    const beforeNumbers = (p: Product) => {
      const { id, ...fields } = p;
      return { _id: id, ...fields, deleted: false, pending: false };
    };
    /** ... and as the version with blocks of 100 wrote it (keys `b<k>`, `<category>/b<k>`). */
    const withBlocksOf100 = (p: Product, seq: number, categorySeq: number) => ({
      ...beforeNumbers(p),
      seq,
      listBlock: `b${Math.floor(seq / 100)}`,
      categorySeq,
      categoryBlock: `${p.category}/b${Math.floor(categorySeq / 100)}`,
    });

    it("numbers and rekeys a catalog written by earlier versions, once, and seeding copes before and after", async () => {
      const collection = `upgrade_${randomUUID().replaceAll("-", "")}`;
      const client = await MongoClient.connect(url);
      const raw = client.db("storefront_test").collection(collection);
      const store = await MongoProductStore.connect(url, { database: "storefront_test", collection });
      try {
        // Three products listed with blocks of 100, then 45 written before numbering (older
        // and newer ones mixed), and a tombstone.
        const numbered = [1, 2, 3].map((i) => sampleProduct({ minute: 1_000 + i, category: i === 2 ? "garden" : "books" }));
        const unnumbered = Array.from({ length: 45 }, (_, i) => sampleProduct({ minute: (i * 37) % 45, category: i % 3 === 0 ? "garden" : "books" }));
        const gone = sampleProduct({ minute: 2 });
        await raw.insertMany([
          withBlocksOf100(numbered[0]!, 1, 1),
          withBlocksOf100(numbered[1]!, 2, 1),
          withBlocksOf100(numbered[2]!, 3, 2),
          ...unnumbered.map(beforeNumbers),
          { ...beforeNumbers(gone), deleted: true, pending: true, sku: `deleted:${gone.id}` },
        ] as never[]);

        // What users saw: an empty catalog, and a seeding that failed on duplicate SKUs.
        assert.deepEqual([await store.count({}), (await store.list({ first: 5 })).items.length, await store.isEmpty()], [0, 0, false]);
        logged.length = 0;
        assert.equal(await seedDemoCatalog({ store, count: 20, logger }), 0, "seeding leaves the old catalog alone");
        assert.match(logged.join("\n"), /migrate-catalog\.ts/, "and says how to upgrade it");

        const report = await store.migrateLayout();
        assert.deepEqual([report.scanned, report.live, report.numbered, report.rewritten], [49, 48, 45, 48]);
        // Numbered products keep their place; the others follow, oldest first.
        const oldestFirst = [...unnumbered].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
        const expected = [...numbered, ...oldestFirst].reverse();
        assert.deepEqual(await listAll(store), expected.map((p) => p.id));
        assert.deepEqual(await listAll(store, "garden"), expected.filter((p) => p.category === "garden").map((p) => p.id));
        assert.deepEqual([await store.count({}), await store.count({ category: "garden" }), await store.count({ category: "books" })], [48, 16, 32]);
        const scanned: string[] = [];
        for await (const batch of store.scan(10)) scanned.push(...batch.products.map((p) => p.id));
        assert.deepEqual(scanned, [...expected].reverse().map((p) => p.id));
        assert.deepEqual((await store.findByIds([numbered[0]!.id])).get(numbered[0]!.id), numbered[0], "products themselves unchanged");

        // A product written afterwards lists first; a second run changes nothing.
        const fresh = sampleProduct({ category: "garden" });
        await store.insert(fresh);
        assert.equal((await store.list({ first: 1 })).items[0]!.product.id, fresh.id);
        const again = await store.migrateLayout();
        assert.deepEqual([again.numbered, again.rewritten, again.liveCounts], [0, 0, { live: 49, "live:books": 32, "live:garden": 17 }]);
        assert.equal((await store.list({ first: 1 })).items[0]!.product.id, fresh.id);
        assert.equal(await seedDemoCatalog({ store, count: 20, logger }), 0);
        assert.equal(await store.count({}), 49);
      } finally {
        await store.drop();
        await store.close();
        await client.close();
      }
    });
  });
});
