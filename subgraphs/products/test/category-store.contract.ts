import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import { DuplicateCategoryError, type CategoryStore } from "../src/ports/category-store.js";

/** The guarantees of the `CategoryStore` port against one adapter; `create` returns an empty store per test. */
export function defineCategoryStoreContract(engine: string, create: () => Promise<CategoryStore>): void {
  describe(engineSuiteTitle("CategoryStore contract", engine), { timeout: 30_000 }, () => {
    let store: CategoryStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store?.close();
    });

    const sorted = async () => (await store.all()).sort((a, b) => a.slug.localeCompare(b.slug));

    it("reads back every category inserted, parents included", async () => {
      await store.insert({ slug: "electronics", name: "Electronics", parent: null });
      await store.insert({ slug: "audio", name: "Audio", parent: "electronics" });
      assert.deepEqual(await sorted(), [
        { slug: "audio", name: "Audio", parent: "electronics" },
        { slug: "electronics", name: "Electronics", parent: null },
      ]);
    });

    it("refuses a taken slug, even when two inserts race for it", async () => {
      await store.insert({ slug: "books", name: "Books", parent: null });
      await assert.rejects(store.insert({ slug: "books", name: "Again", parent: null }), DuplicateCategoryError);
      const raced = await Promise.allSettled([store.insert({ slug: "games", name: "A", parent: null }), store.insert({ slug: "games", name: "B", parent: null })]);
      assert.deepEqual(raced.map((result) => result.status).sort(), ["fulfilled", "rejected"]);
      assert.equal((await store.all()).filter((category) => category.slug === "games").length, 1);
    });

    it("seeds only what is missing, leaving what an admin changed", async () => {
      await store.insert({ slug: "books", name: "Reading", parent: null });
      await store.insertMissing([{ slug: "books", name: "Books", parent: null }, { slug: "garden", name: "Garden", parent: null }]);
      await store.insertMissing([{ slug: "garden", name: "Garden", parent: null }]);
      assert.deepEqual(await sorted(), [
        { slug: "books", name: "Reading", parent: null },
        { slug: "garden", name: "Garden", parent: null },
      ]);
    });

    it("renames and moves, to a root too; an unknown slug is null", async () => {
      await store.insert({ slug: "home", name: "Home", parent: null });
      await store.insert({ slug: "kitchen", name: "Kitchen", parent: null });
      assert.deepEqual(await store.update("kitchen", { name: "Kitchen & Dining", parent: "home" }), { slug: "kitchen", name: "Kitchen & Dining", parent: "home" });
      assert.deepEqual(await store.update("kitchen", { parent: null }), { slug: "kitchen", name: "Kitchen & Dining", parent: null });
      assert.equal(await store.update("missing", { name: "X" }), null);
    });
  });
}
