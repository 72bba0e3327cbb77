import { startNudgedWorker, type Logger } from "#kernel";
import type { CartStore } from "./ports/cart-store.js";

/**
 * Deletes abandoned guest carts: those unchanged for `ttlSeconds` (GUEST_CART_TTL_SECONDS),
 * a batch per transaction until none is left. Customers' carts are never swept. Every
 * process running the cart subgraph may sweep at once: each batch skips rows another holds.
 */
export function startGuestCartSweep(options: { store: CartStore; ttlSeconds: number; logger: Logger; pollMs?: number; batchSize?: number; clock?: () => Date }) {
  const { store, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const batch = options.batchSize ?? 500;
  return startNudgedWorker({
    // Hourly: a cart lives for days, and an idle one that lingers an hour longer harms nobody.
    pollMs: options.pollMs ?? 3_600_000,
    async drain(isStopped) {
      const before = new Date(clock().getTime() - options.ttlSeconds * 1000);
      let total = 0;
      for (;;) {
        const deleted = await store.deleteIdleGuestCarts(before, batch);
        total += deleted;
        if (deleted < batch || isStopped()) break;
      }
      if (total > 0) logger.info("guest_carts_swept", { deleted: total, idleSince: before.toISOString() });
    },
    onError: (error, failures) => logger.warn("guest cart sweep failed", { failures, error: error instanceof Error ? error.message : String(error) }),
  });
}
