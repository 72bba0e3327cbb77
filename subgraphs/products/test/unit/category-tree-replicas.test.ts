import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLockService, EmbeddedKeyValueStore, type KeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { createCategoryService } from "../../src/categories/category.service.js";
import { CATEGORY_LIMITS, CategoryTree, type Category } from "../../src/categories/category.js";
import { EmbeddedCategoryStore } from "../../src/adapters/embedded-category-store.js";
import type { CategoryStore } from "../../src/ports/category-store.js";

/**
 * A store shared by two replicas whose reads of the tree wait for each other (up to a moment):
 * two writes whose reads are not kept apart both judge the same tree, as two replicas writing
 * at the same instant do.
 */
function sharedStore(): CategoryStore {
  const store = new EmbeddedCategoryStore();
  let waiting: (() => void)[] = [];
  const all = store.all.bind(store);
  store.all = async () => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= 2) {
        for (const release of waiting) release();
        waiting = [];
      } else setTimeout(resolve, 150);
    });
    return all();
  };
  return store;
}

/** Two products replicas: each its own category service, over one store and one lock store. */
function replicas(store: CategoryStore, kv: KeyValueStore) {
  const resource = `category-tree-test-${randomUUID()}`;
  const replica = () => {
    const locks = createLockService(kv);
    return createCategoryService({ store, count: async () => 0, treeLock: (work) => locks.withLock(resource, work, { ttlMs: 15_000, waitMs: 5_000 }) });
  };
  return [replica(), replica()] as const;
}

/** The loops among the stored parents (each as its slugs), read past the tree's own mending. */
function storedLoops(rows: readonly Category[]): string[][] {
  const parentOf = new Map(rows.map((row) => [row.slug, row.parent]));
  const loops: string[][] = [];
  for (const start of parentOf.keys()) {
    const seen: string[] = [];
    for (let at: string | null | undefined = start; at != null && !seen.includes(at); at = parentOf.get(at)) seen.push(at);
    const last = seen.at(-1)!;
    const next = parentOf.get(last);
    if (next != null && seen.includes(next) && next === start) loops.push(seen);
  }
  return loops;
}

function defineReplicaRaces(engine: string, kvOf: () => Promise<KeyValueStore & { close?: () => Promise<void> }>) {
  describe(`category tree written by two products replicas at once (${engine} locks)`, () => {
    it("two crossing moves (a under b, b under a) make no loop: one is made, the other refused", async () => {
      const kv = await kvOf();
      try {
        for (let round = 0; round < 5; round++) {
          const store = sharedStore();
          const [one, two] = replicas(store, kv);
          await store.insert({ slug: "a", name: "A", parent: null });
          await store.insert({ slug: "b", name: "B", parent: null });
          const moves = await Promise.allSettled([one.update("a", { parent: "b" }, true), two.update("b", { parent: "a" }, true)]);
          assert.equal(moves.filter((move) => move.status === "fulfilled").length, 1, `round ${round}: one move made`);
          const refused = moves.find((move) => move.status === "rejected") as PromiseRejectedResult;
          assert.equal((refused.reason as { extensions?: { code?: string } }).extensions?.code, "BAD_USER_INPUT");
          assert.deepEqual(storedLoops(await store.all()), [], `round ${round}: no loop stored`);
        }
      } finally {
        await kv.close?.();
      }
    });

    it("creates on both replicas racing for the last of the tree's places let one in", async () => {
      const kv = await kvOf();
      try {
        const store = sharedStore();
        const [one, two] = replicas(store, kv);
        const roots = Array.from({ length: CATEGORY_LIMITS.children }, (_, r) => ({ slug: `r${r}`, name: `R${r}`, parent: null }));
        const below = roots.flatMap((root) => Array.from({ length: CATEGORY_LIMITS.children }, (_, c) => ({ slug: `${root.slug}-c${c}`, name: `C${c}`, parent: root.slug })));
        const leaves = below.flatMap((child) => Array.from({ length: CATEGORY_LIMITS.children - 1 }, (_, l) => ({ slug: `${child.slug}-l${l}`, name: `L${l}`, parent: child.slug })));
        await store.insertMissing([...roots, ...below, ...leaves].slice(0, CATEGORY_LIMITS.total - 1));
        const creates = await Promise.allSettled([one.create({ slug: "last-1", name: "Last 1", parent: "r0-c0" }), two.create({ slug: "last-2", name: "Last 2", parent: "r0-c1" })]);
        assert.equal(creates.filter((create) => create.status === "fulfilled").length, 1);
        assert.equal((await store.all()).length, CATEGORY_LIMITS.total);
      } finally {
        await kv.close?.();
      }
    });
  });
}

defineReplicaRaces("embedded", async () => new EmbeddedKeyValueStore());

describeWithRealEngine({ suite: "category tree written by two replicas", engine: "redis", variable: "REDIS_URL" }, (url) => {
  defineReplicaRaces("redis", async () => {
    const kv = new RedisKeyValueStore(url);
    await kv.connect();
    return kv;
  });
});

describe("a loop of parents already stored (a hand edit, or writers that shared no lock)", () => {
  const loop: Category[] = [
    { slug: "home", name: "Home", parent: null },
    { slug: "kitchen", name: "Kitchen", parent: "pans" },
    { slug: "pans", name: "Pans", parent: "knives" },
    { slug: "knives", name: "Knives", parent: "kitchen" },
    { slug: "spoons", name: "Spoons", parent: "pans" },
    { slug: "itself", name: "Itself", parent: "itself" },
  ];

  it("is served with its smallest slug as a root, every walk of it ending", () => {
    const tree = new CategoryTree(loop);
    assert.deepEqual(tree.roots().map((root) => root.slug), ["home", "itself", "kitchen"]);
    assert.equal(tree.get("kitchen")?.parent, null);
    assert.deepEqual(tree.subtree("kitchen").sort(), ["kitchen", "knives", "pans", "spoons"]);
    assert.equal(tree.height("kitchen"), 4);
    assert.deepEqual(tree.breadcrumbs("spoons").map((category) => category.slug), ["kitchen", "knives", "pans", "spoons"]);
    assert.equal(tree.isWithin("pans", "kitchen"), true);
    assert.deepEqual(tree.subtree("itself"), ["itself"]);
  });

  it("is mended through the API: a category of the loop moved to the top, the others below it", async () => {
    const store = new EmbeddedCategoryStore();
    await store.insertMissing(loop);
    const categories = createCategoryService({ store, count: async () => 0 });
    await categories.update("pans", { parent: null }, true);
    assert.deepEqual(storedLoops(await store.all()), [["itself"]]);
    const tree = await categories.tree();
    assert.deepEqual(tree.breadcrumbs("knives").map((category) => category.slug), ["pans", "kitchen", "knives"]);
    assert.equal(await categories.productCount(tree, "pans"), 0);
  });
});
