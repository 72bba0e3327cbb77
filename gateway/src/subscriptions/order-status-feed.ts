import { Topics, type EventBus, type Logger, type OrderStatusChangedPayload, type Subscription } from "#kernel";
import type { TraceCarrier } from "#kernel/observability/tracing-context.js";

/** Hears one order's status changes, with the trace the event carried (when it carried one). */
export type OrderStatusListener = (change: OrderStatusChangedPayload, cause: TraceCarrier | undefined) => void;

/**
 * Fans order status events out to the live subscriptions of this gateway instance. A
 * process-scoped subscription: every instance sees every change from when it subscribed, since
 * a subscriber gets the current state by query, not by replay.
 */
export function createOrderStatusFeed(bus: EventBus, logger: Logger) {
  const listeners = new Map<string, Set<OrderStatusListener>>();
  let subscription: Subscription | undefined;

  return {
    async start(): Promise<void> {
      subscription = await bus.subscribe({
        topic: Topics.orderStatusChanged,
        group: "gateway-live",
        scope: "process",
        start: "latest",
        handle: async (event) => {
          const change = event.payload as OrderStatusChangedPayload;
          for (const listener of listeners.get(change.orderId) ?? []) {
            try {
              listener(change, event.trace);
            } catch (error) {
              logger.warn("order status listener failed", { orderId: change.orderId, error: String(error) });
            }
          }
        },
      });
    },
    listen(orderId: string, listener: OrderStatusListener): () => void {
      let set = listeners.get(orderId);
      if (!set) listeners.set(orderId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(orderId);
      };
    },
    async stop(): Promise<void> {
      await subscription?.stop();
      listeners.clear();
    },
  };
}

export type OrderStatusFeed = ReturnType<typeof createOrderStatusFeed>;
