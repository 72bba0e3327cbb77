import type { IndexChange } from "../ports/search-index.js";

/**
 * The order in which an index keeps a product's changes: by catalog version, then by
 * popularity. Popularity (units sold) changes without a catalog write, and is announced
 * again at the product's current version; it only grows, so of two announcements of one
 * version the one with more sales is the newer. Packed into one number because engines
 * compare one external version: the catalog version in the high bits, popularity in the low
 * 32. Exact while the catalog version stays below 2^21 (two million writes to one product).
 */
const POPULARITY_SPAN = 2 ** 32;
const MAX_EXACT_CATALOG_VERSION = 2 ** 21 - 1;

export function indexVersion(change: IndexChange): number {
  if (change.kind === "upsert") {
    const popularity = Math.min(Math.max(0, Math.trunc(change.document.popularity)), POPULARITY_SPAN - 1);
    return catalogPart(change.document.version) + popularity;
  }
  // A deletion outranks every announcement of its own version and the ones before.
  return catalogPart(change.version) + POPULARITY_SPAN - 1;
}

function catalogPart(version: number): number {
  if (!Number.isSafeInteger(version) || version < 0 || version > MAX_EXACT_CATALOG_VERSION) {
    throw new RangeError(`catalog version ${version} is outside what the search index can order (0-${MAX_EXACT_CATALOG_VERSION})`);
  }
  return version * POPULARITY_SPAN;
}
