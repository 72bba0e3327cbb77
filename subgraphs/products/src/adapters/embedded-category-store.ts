import { Journal } from "#kernel";
import type { Category } from "../categories/category.js";
import { DuplicateCategoryError, type CategoryStore } from "../ports/category-store.js";

/** The category tree in memory (zero-setup mode), journaled in a directory when opened on one. */
export class EmbeddedCategoryStore implements CategoryStore {
  readonly engine = "embedded";
  private readonly categories = new Map<string, Category>();
  private journal?: Journal<Category>;

  /** A tree kept in `dir` (one process at a time), with what an earlier run left there. */
  static async open(dir: string, options: { onWarning?: (message: string, detail: Record<string, unknown>) => void } = {}): Promise<EmbeddedCategoryStore> {
    const store = new EmbeddedCategoryStore();
    store.journal = await Journal.open<Category>({
      dir,
      apply: (category) => void store.categories.set(category.slug, category),
      snapshot: () => store.categories.values(),
      onWarning: options.onWarning,
    });
    return store;
  }

  async all() {
    return [...this.categories.values()].map((category) => ({ ...category }));
  }

  async insert(category: Category) {
    if (this.categories.has(category.slug)) throw new DuplicateCategoryError(category.slug);
    this.categories.set(category.slug, { ...category });
    await this.journal?.append([{ ...category }]);
  }

  async insertMissing(categories: readonly Category[]) {
    const missing = categories.filter((category) => !this.categories.has(category.slug)).map((category) => ({ ...category }));
    for (const category of missing) this.categories.set(category.slug, category);
    if (missing.length) await this.journal?.append(missing);
  }

  async update(slug: string, changes: Partial<Pick<Category, "name" | "parent">>) {
    const current = this.categories.get(slug);
    if (!current) return null;
    const next = { ...current, ...changes };
    this.categories.set(slug, next);
    await this.journal?.append([{ ...next }]);
    return { ...next };
  }

  async close() {
    await this.journal?.close();
  }
}
