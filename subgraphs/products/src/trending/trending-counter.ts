import { MAX_CATALOG_ID_LENGTH, ProductViewEventTypes, Topics, type DomainEvent, type EventBus, type KeyValueStore, type Logger, type ProductViewedPayload } from "#kernel";
import { LONGEST_WINDOW_MS, TRENDING_KEY_PREFIX, incrementsOfView, viewCategory } from "./trending-window.js";

export interface TrendingCounterDeps {
  bus: EventBus;
  kv: KeyValueStore;
  clock?: () => number;
  logger?: Logger;
  /** The consumer group; every member of it shares the views by partition (default `trending`). */
  group?: string;
  /** Namespace of the counters in the store (default `trending`; tests sharing a Redis use their own). */
  keyPrefix?: string;
  /** Told after each event handled, counted or not (tests, benchmarks). */
  onHandled?: (event: DomainEvent, counted: boolean) => void;
}

/**
 * A mark outlives the longest window by an hour: an event delivered again while its mark is
 * gone is older than every window and ignored, so no redelivery can ever count twice.
 */
export const COUNTED_MARK_TTL_MS = LONGEST_WINDOW_MS + 3_600_000;

/**
 * The trending stream processor: a member of a consumer group on the view topic that adds each
 * view to the time-bucket sorted sets of the windows still covering it (see trending-window.ts).
 *
 * The bus delivers at least once (a member stopped before committing, a rebalance, a restart
 * replay events), so a view's increments and its mark `trending:counted:<event id>` are
 * written in one atomic step: the first delivery counts, every later one finds the mark and
 * changes nothing. Counting is per event, so members can split partitions freely.
 */
export async function startTrendingCounter(deps: TrendingCounterDeps): Promise<{ stop(): Promise<void> }> {
  const { kv, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const prefix = deps.keyPrefix ?? TRENDING_KEY_PREFIX;
  const subscription = await deps.bus.subscribe({
    topic: Topics.productViewed,
    group: deps.group ?? "trending",
    start: "earliest",
    handle: async (event) => {
      const counted = await count(event as DomainEvent<ProductViewedPayload>);
      deps.onHandled?.(event, counted);
    },
  });

  async function count(event: DomainEvent<ProductViewedPayload>): Promise<boolean> {
    if (event.type !== ProductViewEventTypes.viewed) return false;
    const { productId, category, viewedAt } = event.payload ?? ({} as ProductViewedPayload);
    const viewedAtMs = typeof viewedAt === "string" ? Date.parse(viewedAt) : NaN;
    const valid =
      typeof productId === "string" && productId.length > 0 && productId.length <= MAX_CATALOG_ID_LENGTH && Number.isFinite(viewedAtMs) && typeof event.id === "string" && event.id.length <= 200;
    if (!valid) {
      // Retrying cannot fix a malformed event; holding its partition for it would stop every view behind it.
      logger?.error("product_view_malformed", { eventId: String(event.id).slice(0, 200) });
      return false;
    }
    const increments = incrementsOfView(viewedAtMs, typeof category === "string" ? viewCategory(category) : undefined, clock(), prefix);
    if (increments.length === 0) return false;
    return kv.incrementScores(
      increments.map(({ key, ttlMs }) => ({ key, member: productId, by: 1, ttlMs })),
      { key: `${prefix}:counted:${event.id}`, ttlMs: COUNTED_MARK_TTL_MS },
    );
  }

  return { stop: () => subscription.stop() };
}
