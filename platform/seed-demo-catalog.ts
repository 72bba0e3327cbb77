import { ErrorCode, type Logger } from "#kernel";
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
  /**
   * Tells the listings each variant's seeded stock before anything can list the batch (the
   * change feed may list it once `announce` has run): listed in stock from the start, the
   * seed's own stock events then move no listing entry (see seedListing). A failure is
   * logged and the seed goes on: the stock events set the same flags, only later.
   */
  listStock?: (levels: GeneratedProduct["variantStock"]) => Promise<void>;
  /**
   * Told after each batch is written and listed: the catalog's change relay publishes the
   * batch's events now instead of at its idle poll, so they are out before the rest of the platform starts
   * (a gateway hearing them seconds later would refuse to cache those products meanwhile).
   */
  announce?: () => void;
  /** How long a batch's listing may keep meeting busy listings before the seed gives up. */
  busyRetryMs?: number;
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
    const levels = batch.flatMap((g) => g.variantStock);
    // Spares the listings work, nothing more: without it the stock events list the flags, so a
    // failed write here (FerretDB timing out its PostgreSQL under load) must not end a start.
    await options.listStock?.(levels).catch((error: unknown) => options.logger.warn("the listings learn this batch's stock from its events instead", { error: String(error) }));
    // Listed before its change events leave and before inventory sends its stock events: the
    // change feed then finds the batch listed and the stock flags as they are, so neither
    // writes a listing. Listed after them, the seed met both on every listing's lock, the
    // change feed listing the same products under the same product locks.
    const products = batch.map((g) => g.product);
    if (options.list) await whileBusy(() => options.list!(products), options.busyRetryMs ?? 60_000, options.logger);
    options.announce?.();
    await options.stock?.(levels);
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

/**
 * Runs `work` again while it answers CONFLICT (a listing's lock held past its wait): the seed
 * lists a batch while the stock events of the previous one are applied to the same listings,
 * and on a loaded machine those can hold a whole-catalog listing longer than one wait. A
 * start must not fail on that; it waits, within `deadlineMs`.
 */
async function whileBusy(work: () => Promise<void>, deadlineMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const busy = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === ErrorCode.CONFLICT;
      if (!busy || Date.now() > deadline) throw error;
      if (attempt === 1) logger.info("listings busy while seeding the demo catalog; the batch is listed again", { error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
    }
  }
}
