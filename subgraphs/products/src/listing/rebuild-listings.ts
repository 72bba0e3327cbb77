import type { ProductStore } from "../ports/product-store.js";
import type { ListingIndex } from "../ports/listing-index.js";

/**
 * Lists every live product of the catalog again, oldest first, a batch at a time: builds the
 * listings of a catalog written before they existed, or after losing them. Into empty listings
 * the whole catalog is written in one pass (`build`); otherwise batch by batch. Stock flags and
 * popularity the index kept stay; a product missing from the catalog stays listed until its
 * deletion event (the index cannot tell a product it has not seen from a deleted one here).
 */
export async function rebuildListings(deps: { store: ProductStore; listings: ListingIndex; batchSize?: number; onProgress?: (listed: number) => void }): Promise<number> {
  const batches = async function* () {
    for await (const batch of deps.store.scan(deps.batchSize ?? 1_000)) yield batch.products;
  };
  if (await deps.listings.isEmpty()) return deps.listings.build(batches(), deps.onProgress);
  let listed = 0;
  for await (const products of batches()) {
    await deps.listings.load(products);
    listed += products.length;
    deps.onProgress?.(listed);
  }
  return listed;
}
