import { productIdOfVariant } from "#kernel";
import type { Product } from "../domain/product.js";
import type { ListingIndex } from "../ports/listing-index.js";

/** A seeded variant's units, as the demo seed hands them to inventory. */
export interface SeededStock {
  variantId: string;
  stock: number;
}

/** Stock records in flight at once when a seed tells the listings a batch's stock. */
const RECORDS_AT_ONCE = 16;

/**
 * How a seed lists what it writes, straight into these listings (the demo seed's `listStock`
 * and `list`).
 *
 * `listStock` runs before anything can list the batch: the listings learn each variant's
 * stock as older than any stock event (at the epoch), so the batch is listed in stock from the
 * start, and the StockChanged events inventory sends for the seeded levels then flip no flag
 * and move no entry. Listed out of stock instead, every product of a batch was moved again in
 * every listing it is in when its event came, hundreds of whole-catalog listing writes a batch
 * by the stock-flag feed, which kept those listings' locks busy while the seed listed the next
 * batch. A real stock change (later than the epoch) still wins over the seeded record.
 */
export function seedListing(listings: ListingIndex) {
  return {
    async listStock(levels: readonly SeededStock[]): Promise<void> {
      for (let i = 0; i < levels.length; i += RECORDS_AT_ONCE) {
        await Promise.all(
          levels
            .slice(i, i + RECORDS_AT_ONCE)
            .map(({ variantId, stock }) => listings.recordStock({ productId: productIdOfVariant(variantId), variantId, inStock: stock > 0, at: new Date(0) })),
        );
      }
    },
    /** By version, like the change feed running meanwhile: whichever comes second changes nothing. */
    list: (products: readonly Product[]) => listings.sync(new Map(products.map((product) => [product.id, product]))),
  };
}
