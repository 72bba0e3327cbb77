import { InventoryEventTypes, Topics, productIdOfVariant, withDeadLetter, type DomainEvent, type EventBus, type Logger, type Subscription } from "#kernel";
import { coalescingHandler } from "#kernel/events/coalescing-handler.ts";
import type { Product, ProductChangeEvent } from "../domain/product.js";
import type { ListingIndex } from "../ports/listing-index.js";

export const LISTING_GROUP = "products-listings";
export const STOCK_FLAG_GROUP = "products-stock-flags";

/**
 * Keeps the listings in step with the catalog from its own change events (group
 * `products-listings`, from the earliest retained event): the relay announces every write,
 * so a write whose process died before it listed the product is listed anyway. Redeliveries
 * and replays are harmless: the index keeps the highest version it saw.
 */
export async function startListingSync(deps: { bus: EventBus; listings: ListingIndex; logger: Logger }): Promise<Subscription> {
  // The changes the bus hands over at once (a key each, in parallel) are listed together:
  // each listing is then written once for the lot, which is what keeps a bulk load of a
  // million products listable in minutes (see BENCHMARKS.md).
  const syncTogether = coalescingHandler<[string, Product | null]>((changes) => deps.listings.sync(latestOf(changes)));
  const handle = withDeadLetter({ bus: deps.bus, topic: Topics.productChanged, consumer: LISTING_GROUP, logger: deps.logger }, async (event) => {
    const change = (event as DomainEvent<ProductChangeEvent>).payload;
    if (change.type === "ProductUpserted") await syncTogether([change.product.id, change.product]);
    else if (change.type === "ProductDeleted") await syncTogether([change.productId, null]);
  });
  return deps.bus.subscribe({ topic: Topics.productChanged, group: LISTING_GROUP, start: "earliest", handle });
}

/** One change per product: its latest version, a deletion above every version. */
function latestOf(changes: readonly [string, Product | null][]): Map<string, Product | null> {
  const latest = new Map<string, Product | null>();
  for (const [id, product] of changes) {
    const kept = latest.get(id);
    if (kept === undefined || (kept !== null && (product === null || product.version > kept.version))) latest.set(id, product);
  }
  return latest;
}

/** What a StockChanged carries: `variantId` once inventory is per variant, the product id before. */
interface StockChangedLike {
  productId?: string;
  variantId?: string;
  available?: number;
  delta?: number;
}

/**
 * Whether a change can have moved the variant's in-stock flag. Only a change that crosses zero
 * can; a sale that leaves units, or a return to a variant that had some, cannot. Events
 * without a delta (written before it was carried) and creations (delta 0) always count.
 */
export function mayFlipInStock(change: { available: number; delta?: number }): boolean {
  if (typeof change.delta !== "number" || change.delta === 0) return true;
  return change.available > 0 !== change.available - change.delta > 0;
}

/**
 * Keeps each product's in-stock flag from inventory's StockChanged events (group
 * `products-stock-flags`), recording only those that can flip one. Ordered by the event's
 * time: a redelivered or late older event never turns a flag back.
 */
export async function startStockFlags(deps: { bus: EventBus; listings: ListingIndex; logger: Logger; onApplied?: (event: DomainEvent) => void }): Promise<Subscription> {
  const handle = withDeadLetter({ bus: deps.bus, topic: Topics.stockChanged, consumer: STOCK_FLAG_GROUP, logger: deps.logger }, async (event) => {
    if (event.type !== InventoryEventTypes.stockChanged) return;
    const payload = event.payload as StockChangedLike;
    const variantId = payload.variantId ?? payload.productId;
    const productId = payload.productId ?? (variantId && productIdOfVariant(variantId));
    if (!variantId || !productId || typeof payload.available !== "number") throw new Error(`StockChanged ${event.id} names no product or no units`);
    // Most stock changes are sales that leave units: recording them would read and write the
    // product's listing record (on the document engine, under a lock) to set what it already says.
    if (!mayFlipInStock({ available: payload.available, delta: payload.delta })) return;
    await deps.listings.recordStock({ productId, variantId, inStock: payload.available > 0, at: new Date(event.occurredAt) });
    deps.onApplied?.(event);
  });
  return deps.bus.subscribe({ topic: Topics.stockChanged, group: STOCK_FLAG_GROUP, start: "earliest", handle });
}
