import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EmbeddedCategoryStore } from "../src/adapters/embedded-category-store.js";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import { defineListingIndexContract, listedProduct } from "./listing-index.contract.js";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "listing-test-"));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineListingIndexContract("embedded, journaled", async () => EmbeddedListingIndex.open(freshDir()));

describe("embedded listings and category tree across restarts", () => {
  it("keeps listed products, stock flags and popularity, which no event brings again", async () => {
    const dir = freshDir();
    const first = await EmbeddedListingIndex.open(dir);
    const [a, b] = [listedProduct({ prices: [500] }), listedProduct({ prices: [900] })];
    await first.sync(new Map([[a.id, a], [b.id, b]]));
    await first.recordStock({ productId: b.id, variantId: b.id, inStock: true, at: new Date(1_000) });
    await first.addPopularity(4, new Map([[a.id, 3]]));
    await first.sync(new Map([[a.id, { ...a, version: 2, name: "Renamed" }]]));
    // No close: the process died here.
    const second = await EmbeddedListingIndex.open(dir);
    const page = (index: EmbeddedListingIndex, inStock?: boolean) =>
      index.list({ first: 10, sort: { field: "POPULARITY", direction: "DESC" }, filter: inStock === undefined ? {} : { inStock } });
    assert.deepEqual(await page(second), await page(first));
    assert.deepEqual((await page(second, true)).items.map((item) => item.id), [b.id]);
    assert.deepEqual(await second.popularity([a.id]), new Map([[a.id, 3]]));
    // A replayed batch still counts once after the restart.
    await second.addPopularity(4, new Map([[a.id, 3]]));
    assert.deepEqual(await second.popularity([a.id]), new Map([[a.id, 3]]));
    await first.close();
    await second.close();
  });

  it("keeps the category tree an admin built and moved", async () => {
    const dir = freshDir();
    const first = await EmbeddedCategoryStore.open(dir);
    await first.insertMissing([{ slug: "electronics", name: "Electronics", parent: null }, { slug: "audio", name: "Audio", parent: "electronics" }]);
    await first.insert({ slug: "books", name: "Books", parent: null });
    await first.update("audio", { name: "Sound", parent: "books" });
    const second = await EmbeddedCategoryStore.open(dir);
    const sorted = async (store: EmbeddedCategoryStore) => (await store.all()).sort((x, y) => x.slug.localeCompare(y.slug));
    assert.deepEqual(await sorted(second), [
      { slug: "audio", name: "Sound", parent: "books" },
      { slug: "books", name: "Books", parent: null },
      { slug: "electronics", name: "Electronics", parent: null },
    ]);
    await first.close();
    await second.close();
  });
});
