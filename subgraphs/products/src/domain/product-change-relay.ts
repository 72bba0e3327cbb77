import { newEvent, Topics, type EventBus, type Logger, startNudgedWorker } from "#kernel";
import type { Product, ProductChangeEvent } from "./product.js";
import type { ProductStore } from "../ports/product-store.js";
import { withPopularity, type PopularityOf } from "./with-popularity.js";

/**
 * Publishes catalog writes recorded as unpublished in the store, then marks them published.
 * A crash between the two publishes again (at-least-once); consumers order by version.
 * Runs on a short poll plus an immediate nudge after each write, so an event usually
 * leaves within milliseconds and always within one poll interval. Each announced product
 * carries its popularity as read now, so search ranks a changed product as it ranked it before.
 */
export function startProductChangeRelay(deps: { store: ProductStore; bus: EventBus; logger: Logger; pollMs?: number; idlePollMs?: number; batchSize?: number; popularityOf?: PopularityOf }) {
  const { store, bus, logger } = deps;
  const batchSize = deps.batchSize ?? 500;

  /** False when nothing was waiting: the poll then slows down (see startNudgedWorker). */
  async function drain(): Promise<boolean> {
    for (let published = 0; ; ) {
      const changes = await store.unpublishedChanges(batchSize);
      if (changes.length === 0) return published > 0;
      const upserted = (await withPopularity(changes.flatMap((change) => (change.deleted ? [] : [change.product!])), deps.popularityOf)).values();
      const events = changes.map((change) =>
        change.deleted
          ? newEvent<ProductChangeEvent>("ProductDeleted", change.productId, { type: "ProductDeleted", productId: change.productId, version: change.version })
          : productUpserted(upserted.next().value!),
      );
      await bus.publish(Topics.productChanged, events);
      await store.markPublished(changes);
      published += changes.length;
      if (changes.length < batchSize) return true;
    }
  }

  return startNudgedWorker({
    drain,
    pollMs: deps.pollMs ?? 500,
    // Every write in this process nudges the relay; the poll only finds writes of processes
    // that died before publishing, so idle it may wait: at a million products each empty poll
    // costs the document engine about 8 ms, and an idle process polls 4 times a minute.
    idlePollMs: deps.idlePollMs ?? 15_000,
    onError: (error) => logger.warn("product change relay failed; will retry", { error: String(error) }),
  });
}

/** The ProductUpserted event announcing a product as it is now. */
export const productUpserted = (product: Product) => newEvent<ProductChangeEvent>("ProductUpserted", product.id, { type: "ProductUpserted", product });
