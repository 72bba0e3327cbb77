import { DomainError, ErrorCode, badInput, notFound } from "#kernel";
import { DuplicateCategoryError, type CategoryStore } from "../ports/category-store.js";
import { assertRoomForOneMore, assertRoomUnder, CategoryTree, normaliseSlug, validCategoryName, validSlug, type Category } from "./category.js";

/** Runs a write of the tree while no other process writes it (see createCategoryService). */
export type TreeWriteLock = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * The category tree's rules: slugs lowercase and unique, a parent that exists, no cycles, the
 * sizes of CATEGORY_LIMITS. Each rule is judged on the tree as read before the write, so two
 * writes judged on the same tree can break it between them: two moves make a loop, two creates
 * take the last place twice. Writes are therefore serialised, in this process and, through
 * `treeLock` (the platform's shared lock), across every products replica.
 * `count(slug)` is the catalog's maintained live count of one category.
 */
export function createCategoryService(deps: { store: CategoryStore; count: (slug: string) => Promise<number>; treeLock?: TreeWriteLock }) {
  const { store } = deps;
  const acrossProcesses: TreeWriteLock = deps.treeLock ?? ((work) => work());
  let writes: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const locked = () => acrossProcesses(work);
    const run = writes.then(locked, locked);
    writes = run.catch(() => undefined);
    return run;
  };
  const tree = async () => new CategoryTree(await store.all());

  return {
    tree,

    /** The category a slug names, any case; NOT_FOUND when there is none. */
    async find(slug: string): Promise<{ category: Category; tree: CategoryTree }> {
      const current = await tree();
      const category = current.get(slug);
      if (!category) throw notFound("Category", normaliseSlug(slug).slice(0, 100));
      return { category, tree: current };
    },

    /** Live products in the category and below it: a sum of maintained counters, never a scan. */
    async productCount(current: CategoryTree, slug: string): Promise<number> {
      const counts = await Promise.all(current.subtree(slug).map((each) => deps.count(each)));
      return counts.reduce((sum, n) => sum + n, 0);
    },

    /**
     * The slug is the category's natural key: a repeat of the same name under the same parent (a
     * double click, a retry after a lost answer) answers the category as it is and writes
     * nothing; the slug taken by another name or place is CONFLICT.
     */
    create(input: { slug: string; name: string; parent?: string | null }): Promise<Category> {
      return serial(async () => {
        const category: Category = { slug: validSlug(input.slug), name: validCategoryName(input.name), parent: null };
        const current = await tree();
        if (input.parent != null) {
          const parent = current.get(input.parent);
          if (!parent) throw badInput(`No category ${normaliseSlug(input.parent).slice(0, 100)} to be the parent`, { field: "parent" });
          category.parent = parent.slug;
        }
        const earlier = current.get(category.slug);
        if (earlier) return sameCategoryOr(earlier, category);
        assertRoomUnder(current, category.parent, 1);
        assertRoomForOneMore(current);
        try {
          await store.insert(category);
        } catch (error) {
          if (!(error instanceof DuplicateCategoryError)) throw error;
          // Inserted meanwhile by a writer that did not hold the tree's lock.
          const twin = (await tree()).get(category.slug);
          if (!twin) throw error;
          return sameCategoryOr(twin, category);
        }
        return category;
      });
    },

    /** Renames and/or moves a category (parent null makes it a root); refuses a move below itself. */
    update(slug: string, input: { name?: string | null; parent?: string | null }, parentGiven: boolean): Promise<Category> {
      return serial(async () => {
        const current = await tree();
        const category = current.get(slug);
        if (!category) throw notFound("Category", normaliseSlug(slug).slice(0, 100));
        const changes: Partial<Pick<Category, "name" | "parent">> = {};
        if (input.name != null) changes.name = validCategoryName(input.name);
        if (parentGiven) {
          if (input.parent == null) changes.parent = null;
          else {
            const parent = current.get(input.parent);
            if (!parent) throw badInput(`No category ${normaliseSlug(input.parent).slice(0, 100)} to be the parent`, { field: "parent" });
            if (current.isWithin(parent.slug, category.slug)) throw badInput("A category cannot move below itself or one of its descendants", { field: "parent" });
            changes.parent = parent.slug;
          }
          if (changes.parent !== category.parent) assertRoomUnder(current, changes.parent ?? null, current.height(category.slug), category.slug);
        }
        if (Object.keys(changes).length === 0) throw badInput("Nothing to change: give a name or a parent");
        const updated = await store.update(category.slug, changes);
        if (!updated) throw notFound("Category", category.slug);
        return updated;
      });
    },
  };
}

export type CategoryService = ReturnType<typeof createCategoryService>;

/** The stored category when it is the one asked for again; CONFLICT when its slug names another. */
function sameCategoryOr(stored: Category, asked: Category): Category {
  if (stored.name === asked.name && stored.parent === asked.parent) return stored;
  throw new DomainError(ErrorCode.CONFLICT, `Category ${asked.slug} already exists with another name or parent`, { field: "slug" });
}
