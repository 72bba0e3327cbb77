import { MongoClient, MongoServerError, type Collection, type Filter, type IndexDescription } from "mongodb";
import type { Product, ProductChanges } from "../domain/product.js";
import { DuplicateSkuError, type ProductListQuery, type ProductStore, type PublishedChange, type UnpublishedChange } from "../ports/product-store.js";

/**
 * A product as a MongoDB document. `pending` is the outbox kept inside the document: the
 * write that changes a product also sets it, in the same single-document update, so the
 * change and its announcement cannot diverge without transactions (FerretDB has none).
 */
interface ProductDocument extends Omit<Product, "id"> {
  _id: string;
  deleted: boolean;
  pending: boolean;
}

const DUPLICATE_KEY = 11000;

const INDEXES: (IndexDescription & { name: string })[] = [
  { key: { sku: 1 }, name: "sku_unique", unique: true },
  // Newest-first listings, overall and per category; _id breaks ties of equal timestamps.
  { key: { deleted: 1, createdAt: -1, _id: -1 }, name: "listing" },
  { key: { deleted: 1, category: 1, createdAt: -1, _id: -1 }, name: "listing_by_category" },
  // The relay's page of unannounced writes.
  { key: { pending: 1, updatedAt: 1 }, name: "unpublished" },
];

/** Runs one write to a product while no other process writes to it. */
export type ProductWriteLock = <T>(productId: string, work: () => Promise<T>) => Promise<T>;

export interface MongoProductStoreOptions {
  database?: string;
  collection?: string;
  /** Connections per process; small, so FerretDB's own PostgreSQL pool is never exhausted. */
  maxPoolSize?: number;
  /** Serialises writes to one product across processes (needed on FerretDB, see below). */
  lock?: ProductWriteLock;
}

/**
 * The catalog on MongoDB, written for the subset FerretDB v1 serves as well: single-document
 * updates, filters, sorts, unique and compound indexes; no transactions, change streams,
 * $lookup or $facet. A deleted product keeps a tombstone (with its SKU released) until its
 * deletion has been announced.
 *
 * MongoDB applies each single-document update atomically. FerretDB v1 does not: it reads the
 * document, applies the update in its own code and writes the whole document back, so two
 * concurrent updates of one product lose one of them (reproduced here: 8 concurrent $inc
 * left 4; a write racing the relay's "mark published" was lost 9 times in 30). With `lock`,
 * every write to a product (update, remove, mark published) runs under a per-product lock,
 * which restores the guarantee the outbox-in-the-document design rests on.
 */
export class MongoProductStore implements ProductStore {
  readonly engine = "mongodb";

  private constructor(
    private readonly client: MongoClient,
    private readonly products: Collection<ProductDocument>,
    private readonly lock: ProductWriteLock,
  ) {}

  /** Connects and creates the indexes the catalog's queries need (idempotent). */
  static async connect(url: string, options: MongoProductStoreOptions = {}): Promise<MongoProductStore> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: options.maxPoolSize ?? 8 });
    await client.connect();
    try {
      const products = client.db(options.database).collection<ProductDocument>(options.collection ?? "products");
      // Only the missing ones: FerretDB v1 drops the connection when createIndexes names an
      // index that already exists (reproduced here on every second start).
      const existing = new Set((await products.listIndexes().toArray().catch(() => [])).map((index) => String(index.name)));
      const missing = INDEXES.filter((index) => !existing.has(index.name));
      if (missing.length) await products.createIndexes(missing);
      return new MongoProductStore(client, products, options.lock ?? ((_id, work) => work()));
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async findByIds(ids: readonly string[]) {
    const found = new Map<string, Product>();
    if (ids.length === 0) return found;
    // A page's worth of ids as one equality lookup each: FerretDB turns `_id` equality into
    // an indexed SQL query but answers `$in` by reading the whole collection.
    const docs =
      ids.length <= 50
        ? await Promise.all(ids.map((id) => this.products.findOne({ _id: id, deleted: false })))
        : await this.products.find({ _id: { $in: [...ids] }, deleted: false }).toArray();
    for (const doc of docs) if (doc) found.set(doc._id, toProduct(doc));
    return found;
  }

  async list({ first, after, category }: ProductListQuery) {
    const filter: Filter<ProductDocument> = { deleted: false };
    if (category) filter.category = category;
    if (after) {
      const at = new Date(after.createdAt);
      filter.$or = [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: after.id } }];
    }
    const docs = await this.products.find(filter).sort({ createdAt: -1, _id: -1 }).limit(first + 1).toArray();
    return { items: docs.slice(0, first).map(toProduct), hasNextPage: docs.length > first };
  }

  async count({ category }: { category?: string }) {
    return this.products.countDocuments(category ? { deleted: false, category } : { deleted: false });
  }

  async insert(product: Product) {
    await this.insertMany([product]);
  }

  async insertMany(products: Product[], options: { announce?: boolean } = {}) {
    if (products.length === 0) return;
    try {
      await this.products.insertMany(products.map((p) => toDocument(p, options.announce ?? true)), { ordered: true });
    } catch (error) {
      throw asDuplicateSku(error, products);
    }
  }

  async update(id: string, changes: ProductChanges, now: Date) {
    const doc = await this.lock(id, () =>
      this.products.findOneAndUpdate(
        { _id: id, deleted: false },
        { $set: { ...structuredClone(changes), updatedAt: now, pending: true }, $inc: { version: 1 } },
        { returnDocument: "after" },
      ),
    );
    return doc ? toProduct(doc) : null;
  }

  async remove(id: string, now: Date) {
    // The tombstone gives its SKU up at once (a unique index cannot skip deleted documents
    // on FerretDB, which lacks partial indexes), so a new product may reuse it.
    const result = await this.lock(id, () =>
      this.products.updateOne({ _id: id, deleted: false }, { $set: { deleted: true, pending: true, updatedAt: now, sku: `deleted:${id}` }, $inc: { version: 1 } }),
    );
    return result.modifiedCount === 1;
  }

  async unpublishedChanges(limit: number) {
    const docs = await this.products.find({ pending: true }).sort({ updatedAt: 1 }).limit(limit).toArray();
    return docs.map(
      (doc): UnpublishedChange => ({ productId: doc._id, version: doc.version, deleted: doc.deleted, product: doc.deleted ? undefined : toProduct(doc) }),
    );
  }

  async markPublished(changes: readonly PublishedChange[]) {
    // One command per change, four at a time, never one multi-statement command: FerretDB v1
    // holds PostgreSQL connections per statement and deadlocks once they outnumber its pool
    // (reproduced here: a 100-update bulk write, or 8 concurrent updates, on a pool of 8).
    // Matching on the version leaves a product written again meanwhile pending.
    const mark = ({ productId, version, deleted }: PublishedChange) =>
      this.lock<unknown>(productId, () =>
        deleted
          ? this.products.deleteOne({ _id: productId, version, deleted: true })
          : this.products.updateOne({ _id: productId, version }, { $set: { pending: false } }),
      );
    for (let i = 0; i < changes.length; i += 4) await Promise.all(changes.slice(i, i + 4).map(mark));
  }

  async *scan(batchSize: number, after?: string) {
    // One cursor for the whole scan, read a batch at a time: on MongoDB an index walk; on
    // FerretDB one query, where paging by `_id > last` would re-read the collection per page
    // (measured: 156 products/s paged against 1,600/s with one cursor, on 20,000 products).
    const filter: Filter<ProductDocument> = after === undefined ? { deleted: false } : { deleted: false, _id: { $gt: after } };
    const cursor = this.products.find(filter).sort({ _id: 1 }).batchSize(batchSize);
    let batch: Product[] = [];
    try {
      for await (const doc of cursor) {
        batch.push(toProduct(doc));
        if (batch.length === batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } finally {
      await cursor.close();
    }
  }

  async close() {
    await this.client.close();
  }
}

function toDocument(product: Product, announce: boolean): ProductDocument {
  const { id, ...fields } = structuredClone(product);
  return { _id: id, ...fields, deleted: false, pending: announce };
}

function toProduct(doc: ProductDocument): Product {
  return {
    id: doc._id,
    sku: doc.sku,
    name: doc.name,
    description: doc.description,
    price: { amount: doc.price.amount, currency: doc.price.currency },
    images: doc.images.map(({ url, alt }) => ({ url, alt })),
    category: doc.category,
    brand: doc.brand,
    attributes: { ...doc.attributes },
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
    version: doc.version,
  };
}

function asDuplicateSku(error: unknown, products: Product[]): unknown {
  const code = (error as { code?: unknown }).code;
  if (!(error instanceof MongoServerError) || code !== DUPLICATE_KEY) return error;
  const keyValue = (error as { keyValue?: { sku?: string } }).keyValue;
  const failedIndex = (error as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
  const index = Array.isArray(failedIndex) ? failedIndex[0]?.index : failedIndex?.index;
  return new DuplicateSkuError(keyValue?.sku ?? (index !== undefined ? products[index]?.sku : undefined) ?? "(unknown)");
}
