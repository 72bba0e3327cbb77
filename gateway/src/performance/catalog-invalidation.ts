import { Topics, type DomainEvent, type EventBus, type Logger, type Subscription } from "#kernel";
import { ANY_PRODUCT, LISTINGS, type ResponseCache } from "./response-cache.js";

/**
 * Drops cached responses when the catalog changes: a product write (`Topics.productChanged`)
 * concerns that product and every listing (membership and order may change); a stock
 * movement (`Topics.stockChanged`) concerns that product only. Both are keyed by product id.
 *
 * Process-scoped subscriptions: every gateway process sees every event from when it
 * subscribed (what happened before it started is not in its cache).
 */
export async function startCatalogInvalidation(deps: {
  bus: EventBus;
  cache: ResponseCache<unknown>;
  logger: Logger;
  /** Told after each event is applied (tests wait on it). */
  onApplied?: (event: DomainEvent) => void;
}): Promise<Subscription> {
  const group = "gateway-response-cache";
  const subscribe = (topic: string, listings: boolean) =>
    deps.bus.subscribe({
      topic,
      group,
      scope: "process",
      start: "latest",
      handle: async (event) => {
        deps.cache.invalidate(listings ? [`product:${event.key}`, LISTINGS, ANY_PRODUCT] : [`product:${event.key}`, ANY_PRODUCT]);
        deps.onApplied?.(event);
      },
    });
  const subscriptions = [await subscribe(Topics.productChanged, true), await subscribe(Topics.stockChanged, false)];
  deps.logger.debug("response cache follows catalog and stock changes", { group });
  return {
    async stop() {
      for (const subscription of subscriptions) await subscription.stop();
    },
  };
}
