import { MongoClient, MongoServerError, type Collection } from "mongodb";
import type { Category } from "../categories/category.js";
import { DuplicateCategoryError, type CategoryStore } from "../ports/category-store.js";
import { mongoClientOptions } from "./mongo-client-options.js";

interface CategoryDocument {
  _id: string;
  name: string;
  parent: string | null;
}

const DUPLICATE_KEY = 11000;

/**
 * The category tree on MongoDB/FerretDB, one small document per category keyed by its slug.
 * `all` reads the whole collection: it holds the tree's nodes, never products. Every call
 * gives up after `queryTimeoutMs`: the tree's writers hold a lock meant to outlast them.
 */
export class MongoCategoryStore implements CategoryStore {
  readonly engine = "mongodb";

  private constructor(
    private readonly client: MongoClient,
    private readonly categories: Collection<CategoryDocument>,
    private readonly maxTimeMS: number,
  ) {}

  static async connect(url: string, options: { database?: string; collection?: string; queryTimeoutMs?: number } = {}) {
    const maxTimeMS = options.queryTimeoutMs ?? 5_000;
    const client = new MongoClient(url, mongoClientOptions(2, maxTimeMS));
    await client.connect();
    return new MongoCategoryStore(client, client.db(options.database).collection(options.collection ?? "categories"), maxTimeMS);
  }

  async all() {
    return (await this.categories.find({}, { maxTimeMS: this.maxTimeMS }).limit(10_000).toArray()).map(toCategory);
  }

  async insert(category: Category) {
    try {
      await this.categories.insertOne({ _id: category.slug, name: category.name, parent: category.parent }, { timeoutMS: this.maxTimeMS });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw new DuplicateCategoryError(category.slug);
      throw error;
    }
  }

  async insertMissing(categories: readonly Category[]) {
    for (const category of categories) await this.insert(category).catch((error: unknown) => {
      if (!(error instanceof DuplicateCategoryError)) throw error;
    });
  }

  async update(slug: string, changes: Partial<Pick<Category, "name" | "parent">>) {
    const doc = await this.categories.findOneAndUpdate({ _id: slug }, { $set: changes }, { returnDocument: "after", timeoutMS: this.maxTimeMS });
    return doc ? toCategory(doc) : null;
  }

  /** Drops the collection (tests that made their own). */
  async drop() {
    await this.categories.drop().catch(() => false);
  }

  async close() {
    await this.client.close();
  }
}

const toCategory = (doc: CategoryDocument): Category => ({ slug: doc._id, name: doc.name, parent: doc.parent ?? null });
