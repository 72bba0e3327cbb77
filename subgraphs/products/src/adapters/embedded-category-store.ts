import type { Category } from "../categories/category.js";
import { DuplicateCategoryError, type CategoryStore } from "../ports/category-store.js";

/** The category tree in memory (zero-setup mode). */
export class EmbeddedCategoryStore implements CategoryStore {
  readonly engine = "embedded";
  private readonly categories = new Map<string, Category>();

  async all() {
    return [...this.categories.values()].map((category) => ({ ...category }));
  }

  async insert(category: Category) {
    if (this.categories.has(category.slug)) throw new DuplicateCategoryError(category.slug);
    this.categories.set(category.slug, { ...category });
  }

  async insertMissing(categories: readonly Category[]) {
    for (const category of categories) if (!this.categories.has(category.slug)) this.categories.set(category.slug, { ...category });
  }

  async update(slug: string, changes: Partial<Pick<Category, "name" | "parent">>) {
    const current = this.categories.get(slug);
    if (!current) return null;
    const next = { ...current, ...changes };
    this.categories.set(slug, next);
    return { ...next };
  }

  async close() {}
}
