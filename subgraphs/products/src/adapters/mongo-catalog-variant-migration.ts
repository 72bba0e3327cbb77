import type { Collection } from "mongodb";
import type { ResourceLock, CatalogCounters } from "./mongo-catalog-counters.js";
import { listingCounter } from "./mongo-catalog-counters.js";
import { LISTING_BLOCK, productQueries, type ProductDocument } from "./mongo-product-queries.js";
import type { SkuClaims } from "./mongo-sku-claims.js";
import { defaultVariant } from "../domain/product-variants.js";

export interface VariantMigrationReport {
  /** Live product documents read. */
  scanned: number;
  /** Documents given `options: []` and their default variant. */
  migrated: number;
  /** Of those, documents written by someone else between the read and the rewrite, read again to be migrated. */
  changedMeanwhile: number;
  /** SKUs of old products another product claimed before the migration reached them. */
  skuConflicts: { sku: string; productId: string; holder: string }[];
  /** The listing block the run started from (0, or where an interrupted run stopped). */
  resumedAtBlock: number;
}

/** Where a run got to, kept among the catalog's counters: the next block to migrate. */
export const VARIANT_MIGRATION_PROGRESS = "migration:variants:next-block";

/**
 * Gives every product written before variants existed its variants: `options: []`, its
 * default variant (id and SKU the product's, its price) and `lastVariantKey: 0`, and claims
 * its SKU (see mongo-sku-claims.ts; it had none). Reads meanwhile already accept such a
 * document (toProduct derives the same default variant), so the catalog serves throughout.
 *
 * Walks the catalog in listing order, a few blocks (indexed queries of 20 documents) at a
 * time, so memory stays flat at a million products; run the layout migration first (it
 * numbers every product). Resumable: after each round the next block is recorded, and a run
 * starts there (a document already migrated is skipped in any case). Idempotent. A rewrite
 * holds the product's lock and matches the version it read, so a write that happened in
 * between is never overwritten: the product is read again and migrated as it now is.
 * Versions do not move and nothing is announced: what readers see does not change.
 */
export async function migrateCatalogVariants(deps: {
  products: Collection<ProductDocument>;
  counters: CatalogCounters;
  claims: SkuClaims;
  lock: ResourceLock;
  maxTimeMS: number;
  /** Start again from block 0 rather than where the last run stopped. */
  restart?: boolean;
  onProgress?: (done: { block: number; lastBlock: number; migrated: number }) => void;
}): Promise<VariantMigrationReport> {
  const { products, counters, claims, lock } = deps;
  const lastBlock = Math.floor((await counters.value(listingCounter())) / LISTING_BLOCK);
  const resumedAtBlock = deps.restart ? 0 : await counters.value(VARIANT_MIGRATION_PROGRESS);
  const report: VariantMigrationReport = { scanned: 0, migrated: 0, changedMeanwhile: 0, skuConflicts: [], resumedAtBlock };
  const ROUND = 5;
  for (let first = resumedAtBlock; first <= lastBlock; first += ROUND) {
    const blocks = Array.from({ length: Math.min(ROUND, lastBlock - first + 1) }, (_, i) => first + i);
    const read = await Promise.all(blocks.map((block) => products.find(productQueries.listBlock(block), { maxTimeMS: deps.maxTimeMS }).toArray()));
    const docs = read.flat();
    report.scanned += docs.length;
    const old = docs.filter((doc) => doc.lastVariantKey === undefined);
    // Claims first: a product is never shown with variants whose SKU is not reserved.
    report.skuConflicts.push(...(await claims.backfill(old.map((doc) => ({ sku: doc.sku, productId: doc._id })))));
    for (let i = 0; i < old.length; i += 8) {
      const results = await Promise.all(old.slice(i, i + 8).map((doc) => lock(doc._id, () => migrateOne(products, doc))));
      for (const result of results) {
        if (result !== "skipped") report.migrated += 1;
        if (result === "reread") report.changedMeanwhile += 1;
      }
    }
    const next = first + blocks.length;
    await counters.set(VARIANT_MIGRATION_PROGRESS, next);
    deps.onProgress?.({ block: next, lastBlock, migrated: report.migrated });
  }
  return report;
}

const withDefaultVariant = (doc: Pick<ProductDocument, "_id" | "sku" | "price">) => ({
  $set: { options: [], variants: [defaultVariant({ id: doc._id, sku: doc.sku, price: doc.price })], lastVariantKey: 0 },
});

/** Under the product's lock: the document as read, or as it is now when a write came between. */
async function migrateOne(products: Collection<ProductDocument>, doc: ProductDocument): Promise<"migrated" | "reread" | "skipped"> {
  const unmigrated = { lastVariantKey: { $exists: false } };
  if ((await products.updateOne({ _id: doc._id, version: doc.version, ...unmigrated }, withDefaultVariant(doc))).modifiedCount === 1) return "migrated";
  const now = await products.findOne(productQueries.byId(doc._id));
  if (!now || now.lastVariantKey !== undefined) return "skipped";
  const written = await products.updateOne({ _id: now._id, version: now.version, ...unmigrated }, withDefaultVariant(now));
  return written.modifiedCount === 1 ? "reread" : "skipped";
}
