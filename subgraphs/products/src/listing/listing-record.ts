import type { Product } from "../domain/product.js";
import { listingFacts, type ListingFacts } from "./listing-facts.js";
import { cardOf } from "./listing-card.js";
import type { StockRecord } from "../ports/listing-index.js";

/**
 * What a listing index keeps per product, on every engine: its listing facts (absent once the
 * product is gone), the last stock record of each variant and the last popularity batch it took.
 */
export interface ListingRecord {
  id: string;
  facts?: ListingFacts;
  /** The version of the product the facts (or the deletion) came from. */
  version: number;
  stock: { variantId: string; inStock: boolean; at: number }[];
  popularity: number;
  popularityBatch: number;
}

export const emptyRecord = (id: string): ListingRecord => ({ id, version: 0, stock: [], popularity: 0, popularityBatch: 0 });

/** A product is in stock when one of its variants is, as inventory last said. */
export const inStock = (record: ListingRecord) => record.stock.some((variant) => variant.inStock);

/** Product ids are never reused: a deletion is final, so it outranks every version. */
export const DELETED_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * The record after `product` (or its deletion, null); unchanged when it lists this version or a
 * later one, except that facts kept before listings carried cards take this version's again
 * (how `rebuild-listings` gives old listings their cards).
 */
export function withProduct(record: ListingRecord, product: Product | null): ListingRecord {
  const version = product?.version ?? DELETED_VERSION;
  // Facts read back from a document store may be null rather than absent.
  const cardless = product !== null && !!record.facts && cardOf(record.facts) === undefined;
  if (version < record.version || (version === record.version && !cardless)) return record;
  return { ...record, version, facts: product ? listingFacts(product, record.popularity) : undefined };
}

/** The record after a stock record; unchanged when an as recent one for the variant is kept. */
export function withStock(record: ListingRecord, change: StockRecord): ListingRecord {
  const at = change.at.getTime();
  const kept = record.stock.find((variant) => variant.variantId === change.variantId);
  if (kept && kept.at >= at) return record;
  const stock = [...record.stock.filter((variant) => variant.variantId !== change.variantId), { variantId: change.variantId, inStock: change.inStock, at }];
  return { ...record, stock };
}

/** The record after a popularity batch; unchanged when it took this batch or a later one. */
export function withPopularity(record: ListingRecord, batch: number, units: number): ListingRecord {
  if (record.popularityBatch >= batch) return record;
  const popularity = record.popularity + units;
  return { ...record, popularity, popularityBatch: batch, facts: record.facts && { ...record.facts, popularity } };
}
