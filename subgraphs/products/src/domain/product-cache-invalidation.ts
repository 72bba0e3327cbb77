import { Topics, type DomainEvent, type EventBus, type Logger, type Subscription } from "#kernel";
import type { ProductChangeEvent } from "./product.js";
import type { ProductCache } from "./product-cache.js";

/**
 * Invalidates the hot cache from the catalog's change events, so a write made by any
 * process is never served stale from the cache once its event has been applied here.
 * Every process sees every event (a process-scoped subscription) from when it subscribed:
 * writes older than that were invalidated by their writer.
 * A failing invalidation throws, so the bus delivers the event again.
 */
export async function startProductCacheInvalidation(deps: {
  bus: EventBus;
  cache: ProductCache;
  logger: Logger;
  /** Told after each applied event (tests and metrics). */
  onApplied?: (event: DomainEvent<ProductChangeEvent>) => void;
}): Promise<Subscription> {
  return deps.bus.subscribe({
    topic: Topics.productChanged,
    group: "products-cache",
    scope: "process",
    start: "latest",
    handle: async (event) => {
      await deps.cache.invalidate(event.key);
      deps.onApplied?.(event as DomainEvent<ProductChangeEvent>);
    },
  });
}
