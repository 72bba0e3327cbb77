import type { Logger } from "#kernel";
import type { ProductStore } from "../subgraphs/products/src/ports/product-store.js";
import { generateCatalog, type GeneratedProduct } from "../subgraphs/products/src/catalog/generate-catalog.js";

/**
 * Loads the demo catalog into an empty product store, and hands each variant's stock to
 * `stock` (the inventory seed: stock is kept per variant). A store that already holds products is left alone, whatever
 * its size (one bounded read, never a count of the collection), and so is one written by an
 * earlier version that this one cannot list yet: seeding over it would collide on SKUs.
 */
export async function seedDemoCatalog(options: {
  store: ProductStore;
  count: number;
  logger: Logger;
  stock?: (levels: { variantId: string; stock: number }[]) => Promise<void>;
  /**
   * Lists each seeded batch at once: listings otherwise follow the catalog's events, and a
   * supergraph that reports ready must not answer `products` with a half-empty first page.
   */
  list?: (products: GeneratedProduct["product"][]) => Promise<void>;
}): Promise<number> {
  if (options.count === 0) return 0;
  if (!(await options.store.isEmpty())) {
    if ((await options.store.count({})) === 0) {
      options.logger.warn("the catalog holds products written by an earlier version, which it cannot list until upgraded: run npx tsx scripts/catalog/migrate-catalog.ts");
    }
    return 0;
  }
  const batch: GeneratedProduct[] = [];
  const flush = async () => {
    await options.store.insertMany(batch.map((g) => g.product));
    await options.stock?.(batch.flatMap((g) => g.variantStock));
    await options.list?.(batch.map((g) => g.product));
    batch.length = 0;
  };
  for (const generated of generateCatalog({ count: options.count })) {
    batch.push(generated);
    if (batch.length === 500) await flush();
  }
  if (batch.length) await flush();
  options.logger.info("demo catalog seeded", { products: options.count });
  return options.count;
}
