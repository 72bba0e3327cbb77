import { OrderEventTypes, Topics, withDeadLetter, type EventBus, type Logger, type OrderStatusChangedPayload, type Subscription } from "#kernel";
import { coalescingHandler } from "#kernel/events/coalescing-handler.ts";
import type { ListingIndex } from "../ports/listing-index.js";
import type { Sale, SalesBatch, SalesLedger } from "../ports/sales-ledger.js";

export const POPULARITY_GROUP = "products-popularity";

/** How often the ledger is drained when this process recorded no sale (see the flush timer). */
const IDLE_SWEEP_MS = 30_000;

/**
 * Popularity (units sold) from paid orders. Each PAID event's lines are recorded in the sales
 * ledger (once per order: a redelivery finds it there), the orders the bus hands over at once
 * in one write (a key each, in parallel; see coalescingHandler); every `flushMs` the sales recorded
 * since (here, or by any process within IDLE_SWEEP_MS) are applied as one batch, one write
 * per product whatever it sold, so a sale peak of 500 orders/s makes one write per hot product
 * per flush, not 500. Popularity lives in the listing index only: it is not a catalog write
 * (no version, no change event, no reindexing per sale). A batch is applied under the ledger's
 * lock and numbered, so a batch a crash interrupted is applied again without counting twice
 * (see ListingIndex.addPopularity).
 *
 * Search ranks by popularity too, so after a batch is applied its products are announced
 * again (`announce`: ProductUpserted at their current version, with the new popularity) inside
 * the batch, so a crash before the announcement repeats it with the batch. Reading the product
 * after the batch is applied matters: a catalog write racing the batch is then announced either
 * by this (with the new popularity) or by the change relay after it (which reads popularity
 * later still), so the index never settles on a popularity older than the listing's.
 */
export async function startPopularityFeed(deps: {
  bus: EventBus;
  ledger: SalesLedger;
  listings: ListingIndex;
  logger: Logger;
  flushMs?: number;
  /** How often the ledger is drained when no sale was recorded here (default IDLE_SWEEP_MS). */
  idleSweepMs?: number;
  batchSize?: number;
  /** Re-announces products whose popularity a batch changed. */
  announce?: (productIds: readonly string[]) => Promise<void>;
}): Promise<Subscription & { flush(): Promise<number> }> {
  const { ledger, listings, logger } = deps;
  /** Whether a sale was recorded here since the last flush tick (see the flush timer). */
  let recordedSinceTick = false;
  const recordTogether = coalescingHandler<Sale>(async (sales) => {
    await ledger.record(sales);
    recordedSinceTick = true;
  });
  const handle = withDeadLetter({ bus: deps.bus, topic: Topics.orderStatusChanged, consumer: POPULARITY_GROUP, logger }, async (event) => {
    if (event.type !== OrderEventTypes.statusChanged) return;
    const payload = event.payload as OrderStatusChangedPayload;
    if (payload.to !== "PAID" || !payload.sold?.length) return;
    await recordTogether({
      orderId: payload.orderId,
      lines: payload.sold.filter((line) => Number.isSafeInteger(line.quantity) && line.quantity > 0).map(({ productId, quantity }) => ({ productId, quantity })),
    });
  });
  const subscription = await deps.bus.subscribe({ topic: Topics.orderStatusChanged, group: POPULARITY_GROUP, start: "earliest", handle });

  async function apply(batch: SalesBatch): Promise<void> {
    await listings.addPopularity(batch.batch, batch.units);
    await deps.announce?.([...batch.units.keys()]);
  }

  /** Applies every batch waiting; returns the orders applied. */
  async function flush(): Promise<number> {
    let applied = 0;
    for (let n; (n = await ledger.drain(deps.batchSize ?? 1_000, apply)) > 0; ) applied += n;
    return applied;
  }
  let flushing: Promise<unknown> = Promise.resolve();
  const flushMs = deps.flushMs ?? 2_000;
  // A tick with no sale recorded here since the last one asks the ledger only every
  // IDLE_SWEEP_MS: the ledger is shared, and that is how sales a stopped process recorded but
  // never applied are applied; an idle platform does not query it every couple of seconds.
  const ticksPerSweep = Math.max(1, Math.round((deps.idleSweepMs ?? IDLE_SWEEP_MS) / flushMs));
  let idleTicks = 0;
  const timer = setInterval(() => {
    if (!recordedSinceTick && ++idleTicks < ticksPerSweep) return;
    recordedSinceTick = false;
    idleTicks = 0;
    flushing = flushing.then(flush).catch((error: unknown) => logger.warn("popularity batch failed; retried at the next flush", { error: String(error) }));
  }, flushMs);
  timer.unref();

  return {
    // A failed flush must not fail the ones after it: each starts once the previous settled.
    flush: () => {
      const run = flushing.catch(() => undefined).then(flush);
      flushing = run.catch(() => undefined);
      return run;
    },
    async stop() {
      clearInterval(timer);
      await subscription.stop();
      await flushing.catch(() => undefined);
    },
  };
}
