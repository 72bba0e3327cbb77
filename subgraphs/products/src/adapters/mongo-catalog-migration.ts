import type { Collection } from "mongodb";
import { listingCounter, liveCounter, type CatalogCounters, type ResourceLock } from "./mongo-catalog-counters.js";
import { categoryBlockKey, listBlockKey, type ProductDocument } from "./mongo-product-queries.js";

export interface CatalogMigrationReport {
  /** Documents read (live products and tombstones). */
  scanned: number;
  live: number;
  /** Live products that had no usable listing number, overall or in their category, and got one. */
  numbered: number;
  /** Live products whose documents were rewritten (new numbers, or block keys of another layout). */
  rewritten: number;
  /** The live counts now recorded, overall ("live") and per category ("live:<category>"). */
  liveCounts: Record<string, number>;
}

type Placed = Pick<ProductDocument, "_id" | "category" | "createdAt" | "deleted" | "seq" | "categorySeq" | "listBlock" | "categoryBlock">;

const isNumber = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

/**
 * Brings a catalog written by an earlier version to the current listing layout (see
 * LISTING_BLOCK): products without listing numbers (written before listings had them) are
 * numbered after every numbered one, oldest first (by creation time, then id); every product
 * whose block keys are missing or of another block size gets them recomputed; the live counts
 * are recounted and the listing counters raised past every number in use. Reads the whole
 * collection once (the only full read the catalog ever does: an upgrade step, not a query).
 *
 * Idempotent: a second run finds nothing to rewrite and records the same counts. Numbers come
 * from the counters (raised first, then reserved), so products inserted meanwhile never share
 * one; run it while the catalog takes no updates, though (a product updated during its
 * rewrite may lose one of the two writes on FerretDB) and before the new version serves it.
 */
export async function migrateCatalogLayout(deps: {
  products: Collection<ProductDocument>;
  counters: CatalogCounters;
  lock: ResourceLock;
  onProgress?: (phase: "read" | "write", done: number) => void;
}): Promise<CatalogMigrationReport> {
  const { products, counters, lock } = deps;
  const live: Placed[] = [];
  let scanned = 0;
  const projection = { _id: 1, category: 1, createdAt: 1, deleted: 1, seq: 1, categorySeq: 1, listBlock: 1, categoryBlock: 1 };
  for await (const doc of products.find({}, { projection, batchSize: 1_000 }) as AsyncIterable<Placed>) {
    scanned += 1;
    if (doc.deleted !== true) live.push(doc);
    if (scanned % 10_000 === 0) deps.onProgress?.("read", scanned);
  }
  live.sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));

  // Numbers in use stay (a listing keeps its order and its cursors); a missing or repeated one
  // is given anew from the listing's counter, raised past every number in use.
  const target = new Map<string, { seq?: number; categorySeq?: number }>(live.map((doc) => [doc._id, {}]));
  const assign = async (listing: string, docs: Placed[], current: (doc: Placed) => unknown, set: (doc: Placed, n: number) => void) => {
    const used = new Set<number>();
    const missing: Placed[] = [];
    for (const doc of docs) {
      const n = current(doc);
      if (isNumber(n) && !used.has(n)) used.add(n);
      else missing.push(doc);
    }
    await counters.raise(listing, used.size ? Math.max(...used) : 0);
    if (missing.length === 0) return;
    let next = await counters.reserve(listing, missing.length);
    for (const doc of missing) set(doc, next++);
  };
  await assign(listingCounter(), live, (doc) => doc.seq, (doc, n) => (target.get(doc._id)!.seq = n));
  const byCategory = new Map<string, Placed[]>();
  for (const doc of live) byCategory.set(doc.category, [...(byCategory.get(doc.category) ?? []), doc]);
  for (const [category, docs] of byCategory) await assign(listingCounter(category), docs, (doc) => doc.categorySeq, (doc, n) => (target.get(doc._id)!.categorySeq = n));
  const numbered = live.filter((doc) => Object.keys(target.get(doc._id)!).length > 0).length;

  const rewrites = live.flatMap((doc) => {
    const seq = target.get(doc._id)!.seq ?? doc.seq;
    const categorySeq = target.get(doc._id)!.categorySeq ?? doc.categorySeq;
    const set = { seq, categorySeq, listBlock: listBlockKey(seq), categoryBlock: categoryBlockKey(doc.category, categorySeq) };
    const same = seq === doc.seq && categorySeq === doc.categorySeq && set.listBlock === doc.listBlock && set.categoryBlock === doc.categoryBlock;
    return same ? [] : [{ id: doc._id, set }];
  });
  // One product at a time per lock, a few at once: FerretDB holds a PostgreSQL connection per
  // statement (see MongoProductStore.markPublished).
  let written = 0;
  for (let i = 0; i < rewrites.length; i += 8) {
    await Promise.all(rewrites.slice(i, i + 8).map(({ id, set }) => lock(id, () => products.updateOne({ _id: id, deleted: false }, { $set: set }))));
    written += Math.min(8, rewrites.length - i);
    if (written % 1_000 < 8) deps.onProgress?.("write", written);
  }

  const liveCounts: Record<string, number> = { [liveCounter()]: live.length };
  for (const id of await counters.ids()) if (id.startsWith(`${liveCounter()}:`)) liveCounts[id] = 0;
  for (const [category, docs] of byCategory) liveCounts[liveCounter(category)] = docs.length;
  for (const [id, n] of Object.entries(liveCounts)) await counters.set(id, n);
  return { scanned, live: live.length, numbered, rewritten: rewrites.length, liveCounts };
}
