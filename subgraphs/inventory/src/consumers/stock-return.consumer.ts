import { StockReturnEventTypes, Topics, withDeadLetter, type DomainEvent, type EventBus, type Logger, type StockReturnRequestedPayload, type Subscription } from "#kernel";

/** The inventory's consumer group on the stock returns topic. */
export const INVENTORY_CONSUMER = "inventory";

/**
 * Puts sold units back on sale when an order change that frees them has committed (a cancel,
 * a full refund before shipping, an approved return: the orders subgraph writes the event in
 * that change's transaction). At-least-once from the bus, once in effect: the ledger records
 * each return id with its units, so a redelivery is answered as a repeat. An event that keeps
 * failing goes to `inventory.stock-returns.dead-letter` rather than blocking its partition.
 */
export function startStockReturnConsumer(deps: {
  bus: EventBus;
  logger: Logger;
  returnStock: (returnId: string, items: StockReturnRequestedPayload["items"]) => Promise<unknown>;
}): Promise<Subscription> {
  const { bus, logger } = deps;
  const handle = async (event: DomainEvent): Promise<void> => {
    if (event.type !== StockReturnEventTypes.requested) return;
    const { returnId, items } = event.payload as StockReturnRequestedPayload;
    await deps.returnStock(returnId, items);
  };
  return bus.subscribe({
    topic: Topics.stockReturns,
    group: INVENTORY_CONSUMER,
    start: "earliest",
    handle: withDeadLetter({ bus, topic: Topics.stockReturns, consumer: INVENTORY_CONSUMER, logger }, handle),
  });
}
