import type { Category } from "../categories/category.js";

export class DuplicateCategoryError extends Error {
  constructor(readonly slug: string) {
    super(`Category ${slug} already exists`);
  }
}

/**
 * Where the category tree is kept. The tree is small (tens to hundreds of nodes), so it is
 * read whole; slugs are stored lowercase and unique (insert throws DuplicateCategoryError).
 */
export interface CategoryStore {
  readonly engine: string;
  all(): Promise<Category[]>;
  insert(category: Category): Promise<void>;
  /** Inserts those whose slug is not taken yet, leaving the others as they are (seeding). */
  insertMissing(categories: readonly Category[]): Promise<void>;
  /** Returns the category after the change, or null when it does not exist. */
  update(slug: string, changes: Partial<Pick<Category, "name" | "parent">>): Promise<Category | null>;
  close(): Promise<void>;
}
