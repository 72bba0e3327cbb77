import { Topics, withDeadLetter, type DomainEvent, type EventBus, type Logger, type Subscription } from "#kernel";
import type { ProductChangeEvent } from "../../../products/src/domain/product.js";
import type { SearchIndex } from "../ports/search-index.js";
import { toIndexChange } from "./search-document.js";

export const INDEXER_GROUP = "search-indexer";

/**
 * Keeps the index in step with the catalog: consumes every product change (group
 * `search-indexer`, from the earliest retained event) and applies it. The bus delivers at
 * least once and in order per product; the index ignores changes older than what it holds,
 * so redeliveries and replays are harmless. A change that keeps failing goes to the
 * dead-letter topic instead of blocking its partition.
 */
export async function startProductIndexer(deps: {
  bus: EventBus;
  index: SearchIndex;
  logger: Logger;
  /** Told after each applied change (tests and metrics). */
  onIndexed?: (event: DomainEvent<ProductChangeEvent>) => void;
}): Promise<Subscription> {
  const handle = withDeadLetter({ bus: deps.bus, topic: Topics.productChanged, consumer: INDEXER_GROUP, logger: deps.logger }, async (event) => {
    const change = event as DomainEvent<ProductChangeEvent>;
    await deps.index.apply([toIndexChange(change.payload)]);
    deps.onIndexed?.(change);
  });
  return deps.bus.subscribe({ topic: Topics.productChanged, group: INDEXER_GROUP, start: "earliest", handle });
}
