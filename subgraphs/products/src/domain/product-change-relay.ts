import { newEvent, Topics, type EventBus, type Logger, startNudgedWorker } from "#kernel";
import type { ProductChangeEvent } from "./product.js";
import type { ProductStore } from "../ports/product-store.js";

/**
 * Publishes catalog writes recorded as unpublished in the store, then marks them published.
 * A crash between the two publishes again (at-least-once); consumers order by version.
 * Runs on a short poll plus an immediate nudge after each write, so an event usually
 * leaves within milliseconds and always within one poll interval.
 */
export function startProductChangeRelay(deps: { store: ProductStore; bus: EventBus; logger: Logger; pollMs?: number; batchSize?: number }) {
  const { store, bus, logger } = deps;
  const batchSize = deps.batchSize ?? 500;

  async function drain(): Promise<void> {
    for (;;) {
      const changes = await store.unpublishedChanges(batchSize);
      if (changes.length === 0) return;
      const events = changes.map((change) =>
        newEvent<ProductChangeEvent>(
          change.deleted ? "ProductDeleted" : "ProductUpserted",
          change.productId,
          change.deleted
            ? { type: "ProductDeleted", productId: change.productId, version: change.version }
            : { type: "ProductUpserted", product: change.product! },
        ),
      );
      await bus.publish(Topics.productChanged, events);
      await store.markPublished(changes);
      if (changes.length < batchSize) return;
    }
  }

  return startNudgedWorker({
    drain,
    pollMs: deps.pollMs ?? 500,
    onError: (error) => logger.warn("product change relay failed; will retry", { error: String(error) }),
  });
}
