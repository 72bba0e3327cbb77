import { MongoClient, MongoServerError, type Collection } from "mongodb";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import type { Product } from "../domain/product.js";
import { skusOf } from "../domain/product-variant.validation.js";
import { DuplicateSkuError, type ListedProduct, type ProductEdit, type ProductListQuery, type ProductStore, type PublishedChange, type ScanBatch, type ScanOrder, type UnpublishedChange } from "../ports/product-store.js";
import { migrateCatalogLayout, type CatalogMigrationReport } from "./mongo-catalog-migration.js";
import { migrateCatalogVariants, type VariantMigrationReport } from "./mongo-catalog-variant-migration.js";
import { catalogCounters, listingCounter, liveCounter, type CatalogCounters, type ResourceLock } from "./mongo-catalog-counters.js";
import { skuClaims, type SkuClaims, type SkuHolding } from "./mongo-sku-claims.js";
import { categoryBlockKey, LISTING_BLOCK, PRODUCT_INDEXES, productQueries, toDocument, toProduct, type ProductDocument } from "./mongo-product-queries.js";
import { mongoClientOptions } from "./mongo-client-options.js";
import { resumeAfter, scanPosition } from "../domain/scan-position.js";

const DUPLICATE_KEY = 11000;

/** Runs one write to a product (or a counter) while no other process writes to it. */
export type ProductWriteLock = ResourceLock;

export interface MongoProductStoreOptions {
  database?: string;
  collection?: string;
  /** Connections per process; small, so FerretDB's own PostgreSQL pool is never exhausted. */
  maxPoolSize?: number;
  /** Serialises writes to one product or counter across processes (needed on FerretDB, see below). */
  lock?: ProductWriteLock;
  /** Deadline of every read, sent as maxTimeMS: the engine cancels the query when it passes. */
  queryTimeoutMs?: number;
}

/**
 * The catalog on MongoDB, written for the subset FerretDB v1 serves well: single-document
 * writes and equality filters on indexed fields (see mongo-product-queries.ts for why every
 * read is one). A deleted product keeps a tombstone (with its SKU released), announced once
 * and kept after, so a deletion sent again is answered as done.
 *
 * MongoDB applies each single-document update atomically. FerretDB v1 does not: it reads the
 * document, applies the update in its own code and writes the whole document back, so two
 * concurrent updates of one product lose one of them (reproduced here: 8 concurrent $inc
 * left 4; a write racing the relay's "mark published" was lost 9 times in 30). Every write to
 * a product (update, remove, mark published) and to a counter runs under its lock, which
 * restores the guarantee the outbox-in-the-document design rests on. Without `lock` the
 * locks are this process's own.
 */
export class MongoProductStore implements ProductStore {
  readonly engine = "mongodb";

  private constructor(
    private readonly client: MongoClient,
    private readonly products: Collection<ProductDocument>,
    private readonly counters: CatalogCounters,
    private readonly lock: ProductWriteLock,
    private readonly maxTimeMS: number,
    private readonly skus: SkuClaims,
  ) {}

  /** Connects and creates the indexes the catalog's queries need (idempotent). */
  static async connect(url: string, options: MongoProductStoreOptions = {}): Promise<MongoProductStore> {
    const maxTimeMS = options.queryTimeoutMs ?? 5_000;
    const client = new MongoClient(url, mongoClientOptions(options.maxPoolSize ?? 8, maxTimeMS));
    await client.connect();
    try {
      const db = client.db(options.database);
      const name = options.collection ?? "products";
      const products = db.collection<ProductDocument>(name);
      // Only the missing ones: FerretDB v1 drops the connection when createIndexes names an
      // index that already exists (reproduced here on every second start).
      const existing = new Set((await products.listIndexes().toArray().catch(() => [])).map((index) => String(index.name)));
      const missing = PRODUCT_INDEXES.filter((index) => !existing.has(index.name));
      if (missing.length) await products.createIndexes(missing);
      const lock = options.lock ?? inProcessLock();
      const holding: SkuHolding = async (productId, sku) => {
        const doc = await products.findOne({ _id: productId }, { maxTimeMS });
        if (!doc) return "absent";
        if (doc.deleted) return "deleted";
        return skusOf(toProduct(doc)).includes(sku) ? "holds" : "lacks";
      };
      const skus = skuClaims(db, `${name}_skus`, { lock, holding, maxTimeMS });
      return new MongoProductStore(client, products, catalogCounters(db, `${name}_counters`, lock, maxTimeMS), lock, maxTimeMS, skus);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async findByIds(ids: readonly string[]) {
    const found = new Map<string, Product>();
    // One `_id` equality each (FerretDB answers `$in` by reading the whole collection), at most
    // 16 in flight so a large batch cannot take every connection.
    for (let i = 0; i < ids.length; i += 16) {
      const docs = await Promise.all(ids.slice(i, i + 16).map((id) => this.products.findOne(productQueries.byId(id), { maxTimeMS: this.maxTimeMS })));
      for (const doc of docs) if (doc) found.set(doc._id, toProduct(doc));
    }
    return found;
  }

  async list({ first, after, category }: ProductListQuery) {
    const place = (doc: ProductDocument) => (category ? doc.categorySeq : doc.seq);
    const from = after ? after.seq - 1 : await this.counters.value(listingCounter(category));
    const items: ListedProduct[] = [];
    // Each round reads at once the blocks holding the numbers still wanted below `top` (the
    // `first + 1` below the cursor at first: two blocks for a page of 20), then older ones
    // while deletions (or moves out of a category) left the page short.
    for (let top = from; top > 0 && items.length <= first; ) {
      const wanted = first + 1 - items.length;
      const highest = Math.floor(top / LISTING_BLOCK);
      const lowest = Math.max(highest - 7, Math.floor(Math.max(0, top - wanted + 1) / LISTING_BLOCK));
      const blocks = Array.from({ length: highest - lowest + 1 }, (_, i) => highest - i);
      const read = await Promise.all(
        blocks.map((block) => this.products.find(category ? productQueries.categoryBlock(category, block) : productQueries.listBlock(block), { maxTimeMS: this.maxTimeMS }).toArray()),
      );
      for (const doc of read.flat().filter((d) => place(d) <= top).sort((x, y) => place(y) - place(x))) {
        items.push({ product: toProduct(doc), position: { seq: place(doc) } });
      }
      top = lowest * LISTING_BLOCK - 1;
    }
    return { items: items.slice(0, first), hasNextPage: items.length > first };
  }

  async count({ category }: { category?: string }) {
    return Math.max(0, await this.counters.value(liveCounter(category)));
  }

  async isEmpty() {
    // No filter and no sort: FerretDB pushes the limit down, so this reads one row.
    return (await this.products.findOne({}, { projection: { _id: 1 }, maxTimeMS: this.maxTimeMS })) === null;
  }

  /** Upgrades a catalog written by an earlier version to this listing layout; see migrateCatalogLayout. */
  migrateLayout(onProgress?: (phase: "read" | "write", done: number) => void): Promise<CatalogMigrationReport> {
    return migrateCatalogLayout({ products: this.products, counters: this.counters, lock: this.lock, onProgress });
  }

  /** Gives products written before variants their default variant and SKU claim; see migrateCatalogVariants. */
  migrateVariants(options: { restart?: boolean; onProgress?: (done: { block: number; lastBlock: number; migrated: number }) => void } = {}): Promise<VariantMigrationReport> {
    return migrateCatalogVariants({ products: this.products, counters: this.counters, claims: this.skus, lock: this.lock, maxTimeMS: this.maxTimeMS, ...options });
  }

  /** The product holding a SKU's claim, if any. */
  skuHolder(sku: string): Promise<string | undefined> {
    return this.skus.holder(sku);
  }

  async insert(product: Product) {
    await this.insertMany([product]);
  }

  async insertMany(products: Product[], options: { announce?: boolean } = {}) {
    if (products.length === 0) return;
    // Numbers are reserved before the write: a failed write leaves a gap, never a duplicate.
    let seq = await this.counters.reserve(listingCounter(), products.length);
    const categorySeq = new Map<string, number>();
    for (const [category, count] of countBy(products)) categorySeq.set(category, await this.counters.reserve(listingCounter(category), count));
    const docs = products.map((p) => {
      const place = { seq: seq++, categorySeq: categorySeq.get(p.category)! };
      categorySeq.set(p.category, place.categorySeq + 1);
      return toDocument(p, place, options.announce ?? true);
    });
    // Variant SKUs are unique through their claims (see mongo-sku-claims.ts), all or none.
    const claims = docs.flatMap((doc) => skusOf(toProduct(doc)).map((sku) => ({ sku, productId: doc._id })));
    await this.skus.claim(claims);
    let written = products.length;
    try {
      await this.products.insertMany(docs, { ordered: true });
    } catch (error) {
      // Ordered: the products before the failing one are in.
      written = failedIndex(error) ?? 0;
      // A product whose id is in already was written by a twin (one idempotency key sent twice
      // at once): the claims it shares with this call are that twin's, and stay.
      const unwritten = products.slice(written).map((p) => p.id);
      const released = new Set<string>();
      for (let i = 0; i < unwritten.length; i += 16) {
        const batch = unwritten.slice(i, i + 16);
        const present = await Promise.all(batch.map((id) => this.products.findOne({ _id: id }, { projection: { _id: 1 }, maxTimeMS: this.maxTimeMS })));
        batch.forEach((id, j) => present[j] === null && released.add(id));
      }
      await this.skus.release(claims.filter((claim) => released.has(claim.productId)));
      throw asDuplicateSku(error, products);
    } finally {
      const added = products.slice(0, written);
      if (added.length) {
        await this.counters.add(liveCounter(), added.length);
        for (const [category, count] of countBy(added)) await this.counters.add(liveCounter(category), count);
      }
    }
  }

  async update(id: string, edit: ProductEdit, now: Date) {
    return this.lock(id, async () => {
      const current = await this.products.findOne(productQueries.byId(id), { maxTimeMS: this.maxTimeMS });
      if (!current) return null;
      const before = toProduct(current);
      const changes = typeof edit === "function" ? edit(structuredClone(before)) : edit;
      const set: Partial<ProductDocument> = { ...structuredClone(changes), updatedAt: now, pending: true };
      const held = skusOf(before);
      const kept = skusOf({ sku: changes.sku ?? before.sku, variants: changes.variants ?? before.variants });
      const added = kept.filter((sku) => !held.includes(sku)).map((sku) => ({ sku, productId: id }));
      await this.skus.claim(added);
      const moved = changes.category !== undefined && changes.category !== current.category;
      if (moved) {
        // A product moved to another category joins that category's listing as its newest.
        set.categorySeq = await this.counters.reserve(listingCounter(changes.category), 1);
        set.categoryBlock = categoryBlockKey(changes.category!, set.categorySeq);
      }
      const doc = await this.products
        .findOneAndUpdate(productQueries.byIdAndVersion(id, current.version), { $set: set, $inc: { version: 1 } }, { returnDocument: "after" })
        .catch(async (error: unknown) => {
          await this.skus.release(added);
          throw asDuplicateSku(error, [{ ...before, sku: changes.sku ?? before.sku }]);
        });
      if (!doc) await this.skus.release(added);
      else await this.skus.release(held.filter((sku) => !kept.includes(sku)).map((sku) => ({ sku, productId: id })));
      if (doc && moved) {
        await this.counters.add(liveCounter(current.category), -1);
        await this.counters.add(liveCounter(changes.category), 1);
      }
      return doc ? toProduct(doc) : null;
    });
  }

  async remove(id: string, now: Date) {
    // The tombstone gives its SKU up at once (a unique index cannot skip deleted documents
    // on FerretDB, which lacks partial indexes), so a new product may reuse it.
    const before = await this.lock(id, () =>
      this.products.findOneAndUpdate(productQueries.byId(id), { $set: { deleted: true, pending: true, updatedAt: now, sku: `deleted:${id}` }, $inc: { version: 1 } }, { returnDocument: "before" }),
    );
    if (!before) return false;
    await this.skus.release(skusOf(toProduct(before)).map((sku) => ({ sku, productId: id })));
    await this.counters.add(liveCounter(), -1);
    await this.counters.add(liveCounter(before.category), -1);
    return true;
  }

  async wasDeleted(id: string) {
    return (await this.products.findOne({ _id: id, deleted: true }, { maxTimeMS: this.maxTimeMS, projection: { _id: 1 } })) !== null;
  }

  async unpublishedChanges(limit: number) {
    // No sort: FerretDB would read every pending document to sort them; unsorted, it stops
    // after `limit`. Consumers order each product's events by version, not by this page.
    const docs = await this.products.find(productQueries.unpublished(), { maxTimeMS: this.maxTimeMS }).limit(limit).toArray();
    docs.sort((a, b) => new Date(a.updatedAt).getTime() - new Date(b.updatedAt).getTime());
    return docs.map(
      (doc): UnpublishedChange => ({ productId: doc._id, version: doc.version, deleted: doc.deleted, product: doc.deleted ? undefined : toProduct(doc) }),
    );
  }

  async markPublished(changes: readonly PublishedChange[]) {
    // One command per change, four at a time, never one multi-statement command: FerretDB v1
    // holds PostgreSQL connections per statement and deadlocks once they outnumber its pool
    // (reproduced here: a 100-update bulk write, or 8 concurrent updates, on a pool of 8).
    // Matching on the version leaves a product written again meanwhile pending.
    const mark = ({ productId, version }: PublishedChange) =>
      this.lock<unknown>(productId, () => this.products.updateOne(productQueries.byIdAndVersion(productId, version), { $set: { pending: false } }));
    for (let i = 0; i < changes.length; i += 4) await Promise.all(changes.slice(i, i + 4).map(mark));
  }

  async *scan(batchSize: number, after?: string, order: ScanOrder = {}): AsyncIterable<ScanBatch> {
    // Block by block in listing order, five blocks read at once: each block one indexed query
    // (the plan test's "block of the whole catalog's listing"), so a scan of a million products
    // holds a few blocks in memory, either way round (a sorted cursor would make FerretDB load
    // and sort the whole collection). Newest first walks the blocks down from the last number.
    const from = resumeAfter(after, order);
    const lastBlock = Math.floor((await this.counters.value(listingCounter())) / LISTING_BLOCK);
    const newestFirst = order.newestFirst === true;
    const wanted = (seq: number) => from === undefined || (newestFirst ? seq < from : seq > from);
    const firstBlock = from === undefined ? (newestFirst ? lastBlock : 0) : Math.floor((newestFirst ? from - 1 : from + 1) / LISTING_BLOCK);
    const step = newestFirst ? -1 : 1;
    let batch: ProductDocument[] = [];
    for (let first = firstBlock; newestFirst ? first >= 0 : first <= lastBlock; first += 5 * step) {
      const blocks = Array.from({ length: 5 }, (_, i) => first + i * step).filter((block) => block >= 0 && block <= lastBlock);
      const read = await Promise.all(blocks.map((block) => this.products.find(productQueries.listBlock(block), { maxTimeMS: this.maxTimeMS }).toArray()));
      for (const doc of read.flat().filter((d) => wanted(d.seq)).sort((a, b) => (a.seq - b.seq) * step)) {
        batch.push(doc);
        if (batch.length === batchSize) {
          yield { products: batch.map(toProduct), after: scanPosition(batch.at(-1)!.seq, order) };
          batch = [];
        }
      }
    }
    if (batch.length) yield { products: batch.map(toProduct), after: scanPosition(batch.at(-1)!.seq, order) };
  }

  /** Drops the collection and its counters (tests and benchmarks that made their own). */
  async drop() {
    await this.products.drop().catch(() => false);
    await this.counters.drop();
    await this.skus.drop();
  }

  async close() {
    await this.client.close();
  }
}

function inProcessLock(): ProductWriteLock {
  const locks = createLockService(new EmbeddedKeyValueStore());
  return (resource, work) => locks.withLock(resource, work, { ttlMs: 5_000, waitMs: 5_000 });
}

function countBy(products: readonly Product[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { category } of products) counts.set(category, (counts.get(category) ?? 0) + 1);
  return counts;
}

function failedIndex(error: unknown): number | undefined {
  const failed = (error as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
  return Array.isArray(failed) ? failed[0]?.index : failed?.index;
}

function asDuplicateSku(error: unknown, products: Product[]): unknown {
  const code = (error as { code?: unknown }).code;
  if (!(error instanceof MongoServerError) || code !== DUPLICATE_KEY) return error;
  const keyValue = (error as { keyValue?: { sku?: string } }).keyValue;
  const index = failedIndex(error);
  return new DuplicateSkuError(keyValue?.sku ?? (index !== undefined ? products[index]?.sku : undefined) ?? "(unknown)");
}
