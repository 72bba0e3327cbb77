import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { DuplicateSkuError } from "../src/ports/product-store.js";
import { defineProductStoreContract, sampleProduct } from "./product-store.contract.js";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "catalog-test-"));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineProductStoreContract("embedded, journaled", async () => EmbeddedProductStore.open(freshDir()));

const newestJournal = (dir: string) => join(dir, readdirSync(dir).filter((name) => name.startsWith("journal-")).sort().at(-1)!);

describe("EmbeddedProductStore across restarts", () => {
  it("finds after a crash every product, change, removal and listing place it acknowledged", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    const [a, b, c] = [sampleProduct({ category: "books" }), sampleProduct({ category: "games" }), sampleProduct({ category: "books" })];
    await first.insertMany([a, b]);
    await first.insert(c);
    const changed = await first.update(a.id, { price: { amount: 1234, currency: "USD" }, category: "games" }, new Date(Date.UTC(2026, 5, 1)));
    await first.remove(b.id, new Date(Date.UTC(2026, 5, 2)));
    // No close: the process died here.
    const second = await EmbeddedProductStore.open(dir);
    assert.deepEqual(await second.findByIds([a.id, b.id, c.id]), new Map([[a.id, changed!], [c.id, (await first.findByIds([c.id])).get(c.id)!]]));
    assert.deepEqual(await second.list({ first: 10 }), await first.list({ first: 10 }));
    assert.deepEqual(await second.list({ first: 10, category: "games" }), await first.list({ first: 10, category: "games" }));
    assert.equal(await second.count({}), 2);
    // SKUs are claimed again: the removed one is free, the live ones are not.
    await assert.rejects(second.insert(sampleProduct({ sku: c.sku })), DuplicateSkuError);
    await second.insert(sampleProduct({ sku: b.sku }));
    await first.close();
    await second.close();
  });

  it("still announces after a restart a change made just before the crash, and a removal's tombstone", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    const [a, b] = [sampleProduct(), sampleProduct()];
    await first.insertMany([a, b]);
    await first.markPublished((await first.unpublishedChanges(10)).map(({ productId, version, deleted }) => ({ productId, version, deleted })));
    await first.update(a.id, { name: "Renamed just before the crash" }, new Date());
    await first.remove(b.id, new Date());
    const second = await EmbeddedProductStore.open(dir);
    const pending = await second.unpublishedChanges(10);
    assert.deepEqual(
      pending.map(({ productId, version, deleted, product }) => ({ productId, version, deleted, name: product?.name })),
      [
        { productId: a.id, version: 2, deleted: false, name: "Renamed just before the crash" },
        { productId: b.id, version: 2, deleted: true, name: undefined },
      ],
    );
    await second.markPublished(pending);
    const third = await EmbeddedProductStore.open(dir);
    assert.deepEqual(await third.unpublishedChanges(10), []);
    assert.equal(await third.isEmpty(), false);
    await Promise.all([first.close(), second.close(), third.close()]);
  });

  it("keeps a bulk load's 'announce: false' across a restart (no reindex storm after it)", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    await first.insertMany(Array.from({ length: 50 }, () => sampleProduct()), { announce: false });
    const second = await EmbeddedProductStore.open(dir);
    assert.equal(await second.count({}), 50);
    assert.deepEqual(await second.unpublishedChanges(10), []);
    await Promise.all([first.close(), second.close()]);
  });

  it("opens after a write torn by a crash with everything acknowledged before it", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    const kept = sampleProduct();
    await first.insert(kept);
    await first.close();
    appendFileSync(newestJournal(dir), '[{"id":"prod_torn","slot":{"product":{"id":"prod_to');
    const second = await EmbeddedProductStore.open(dir);
    assert.deepEqual([...(await second.findByIds([kept.id, "prod_torn"])).keys()], [kept.id]);
    await second.insert(sampleProduct());
    await second.close();
    const third = await EmbeddedProductStore.open(dir);
    assert.equal(await third.count({}), 2);
    await third.close();
  });

  it("keeps each of many concurrent updates to one product across a restart", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    const product = sampleProduct();
    await first.insert(product);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => first.update(product.id, { name: `Name ${i}` }, new Date())));
    const last = results.reduce((newest, result) => (result!.version > newest!.version ? result : newest));
    const second = await EmbeddedProductStore.open(dir);
    assert.deepEqual((await second.findByIds([product.id])).get(product.id), last);
    assert.equal(last!.version, 41);
    await Promise.all([first.close(), second.close()]);
  });

  it("compacts while products are added, changed and removed, and reopens on the same catalog", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir, { compactAfter: 100 });
    const products = Array.from({ length: 300 }, () => sampleProduct());
    await first.insertMany(products.slice(0, 100));
    await Promise.all([
      ...products.slice(100).map((product) => first.insert(product)),
      ...products.slice(0, 100).map((product, i) => (i % 3 === 0 ? first.remove(product.id, new Date()) : first.update(product.id, { name: `Changed ${i}` }, new Date()))),
    ]);
    await first.close();
    assert.ok(readdirSync(dir).includes("snapshot.jsonl"), "a snapshot was written");
    const second = await EmbeddedProductStore.open(dir);
    const ids = products.map((product) => product.id);
    assert.equal(await second.count({}), 300 - 34);
    const found = await second.findByIds(ids);
    for (const [i, product] of products.slice(0, 100).entries()) {
      if (i % 3 === 0) assert.equal(found.has(product.id), false);
      else assert.equal(found.get(product.id)!.name, `Changed ${i}`);
    }
    assert.equal((await second.unpublishedChanges(1_000)).length, 300);
    await second.close();
  });

  it("reads back text that could pass for a line break or markup exactly as written", async () => {
    const dir = freshDir();
    const first = await EmbeddedProductStore.open(dir);
    const hostile = sampleProduct({
      name: 'Line\nbreak\r\u2028separator\u2029 "quoted" \\ 🎧 {"id":"x"}',
      description: "\n".repeat(50) + "]\n[{}",
      // A computed key makes "__proto__" an own attribute, as JSON from a client would.
      attributes: { ["__proto__"]: "polluted?", constructor: "x", "a\nb": "c" },
    });
    await first.insert(hostile);
    const second = await EmbeddedProductStore.open(dir);
    const read = (await second.findByIds([hostile.id])).get(hostile.id)!;
    assert.equal(read.name, hostile.name);
    assert.equal(read.description, hostile.description);
    assert.equal(Object.keys(hostile.attributes).length, 3);
    assert.deepEqual(Object.entries(read.attributes), Object.entries(hostile.attributes));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await Promise.all([first.close(), second.close()]);
  });
});
