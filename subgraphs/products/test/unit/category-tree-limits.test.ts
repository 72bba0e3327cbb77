import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCategoryService } from "../../src/categories/category.service.js";
import { CATEGORY_LIMITS, type Category } from "../../src/categories/category.js";
import type { CategoryStore } from "../../src/ports/category-store.js";

/** The category service over a store in memory (only what the service calls). */
function service() {
  const rows: Category[] = [];
  const store = {
    all: async () => [...rows],
    insert: async (category: Category) => void rows.push({ ...category }),
    update: async (slug: string, changes: Partial<Category>) => {
      const row = rows.find((r) => r.slug === slug);
      if (row) Object.assign(row, changes);
      return row ? { ...row } : null;
    },
  } as unknown as CategoryStore;
  return createCategoryService({ store, count: async () => 0 });
}

/** Creates `count` categories: 10 roots, 100 children below them, then leaves below those. */
async function fill(categories: ReturnType<typeof service>, count: number): Promise<void> {
  const roots = Array.from({ length: 10 }, (_, r) => ({ slug: `r${r}`, name: `R${r}`, parent: null }));
  const children = roots.flatMap((root) => Array.from({ length: 10 }, (_, c) => ({ slug: `${root.slug}-c${c}`, name: `C${c}`, parent: root.slug })));
  const leaves = children.flatMap((child) => Array.from({ length: 9 }, (_, l) => ({ slug: `${child.slug}-l${l}`, name: `L${l}`, parent: child.slug })));
  for (const category of [...roots, ...children, ...leaves].slice(0, count)) await categories.create(category);
}

const refusedAs = (field: string) => (error: unknown) => (error as { extensions?: Record<string, unknown> }).extensions?.field === field;

describe("category tree limits (the sizes the schema declares for categories, children and breadcrumbs)", () => {
  it("takes at most CATEGORY_LIMITS.children roots and as many directly below one category", async () => {
    const categories = service();
    for (let i = 0; i < CATEGORY_LIMITS.children; i++) await categories.create({ slug: `root-${i}`, name: `Root ${i}` });
    await assert.rejects(categories.create({ slug: "one-too-many", name: "One too many" }), refusedAs("parent"));
    for (let i = 0; i < CATEGORY_LIMITS.children; i++) await categories.create({ slug: `child-${i}`, name: `Child ${i}`, parent: "root-0" });
    await assert.rejects(categories.create({ slug: "child-x", name: "Child x", parent: "root-0" }), refusedAs("parent"));
    // Moving one in is judged the same way.
    await assert.rejects(categories.update("root-1", { parent: "root-0" }, true), refusedAs("parent"));
  });

  it("keeps the tree CATEGORY_LIMITS.depth levels deep, by a new category or a moved subtree", async () => {
    const categories = service();
    let parent: string | null = null;
    for (let level = 1; level <= CATEGORY_LIMITS.depth; level++) {
      await categories.create({ slug: `level-${level}`, name: `Level ${level}`, parent });
      parent = `level-${level}`;
    }
    await assert.rejects(categories.create({ slug: "too-deep", name: "Too deep", parent }), refusedAs("parent"));
    await categories.create({ slug: "other", name: "Other" });
    await categories.create({ slug: "other-child", name: "Other child", parent: "other" });
    // other (2 levels tall) under level-3 would reach level 5.
    await assert.rejects(categories.update("other", { parent: "level-3" }, true), refusedAs("parent"));
    await categories.update("other", { parent: "level-2" }, true);
  });

  it("holds at most CATEGORY_LIMITS.total categories in all, refused as BAD_USER_INPUT naming the limit; moves stay allowed", async () => {
    const categories = service();
    await fill(categories, CATEGORY_LIMITS.total);
    assert.equal((await categories.tree()).size, CATEGORY_LIMITS.total);
    await assert.rejects(categories.create({ slug: "one-more", name: "One more", parent: "r0-c0-l0" }), (error: unknown) => {
      const { extensions, message } = error as { extensions?: Record<string, unknown>; message: string };
      assert.equal(extensions?.code, "BAD_USER_INPUT");
      assert.equal(extensions?.limit, 1_000);
      assert.match(message, /at most 1,000 categories/);
      return true;
    });
    await categories.update("r0-c0-l0", { parent: "r0-c1" }, true);
  });

  it("lets one of several creates racing for the last place in, the others refused", async () => {
    const categories = service();
    await fill(categories, CATEGORY_LIMITS.total - 1);
    const racing = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => categories.create({ slug: `last-${i}`, name: `Last ${i}`, parent: "r0-c0" })));
    assert.equal(racing.filter((r) => r.status === "fulfilled").length, 1);
    assert.equal((await categories.tree()).size, CATEGORY_LIMITS.total);
  });
});
