import { createInProcessCaller, STOCK_CALL_MS, type Logger } from "#kernel";
import type { StockReservations } from "../ports/stock-reservations.js";

/** What orders needs of the inventory service when both run in one process. */
export interface InventoryHolds {
  reserve(reservationId: string, items: readonly { variantId: string; quantity: number }[]): Promise<{ expiresAt: Date; taken: boolean }>;
  commit(reservationId: string): Promise<unknown>;
  release(reservationId: string, conditions?: { ifExpiresAt?: Date | null; ifIdleForMs?: number | null; leaving?: boolean | null }): Promise<unknown>;
}

/**
 * Stock holds from the inventory service of this process (the one-process layout), answering
 * as the subgraph's internal mutations do (see createSubgraphStockReservations, whose deadline
 * this keeps) without the HTTP and GraphQL hops a checkout paid for them: the reserve and the
 * commit.
 */
export function createInProcessStockReservations(inventory: InventoryHolds, options: { logger: Logger; timeoutMs?: number }): StockReservations {
  const call = createInProcessCaller({ service: "inventory", logger: options.logger, timeoutMs: options.timeoutMs ?? STOCK_CALL_MS });
  return {
    reserve: async (reservationId, items) => {
      const held = await call("reserveStock", () => inventory.reserve(reservationId, items.map(({ variantId, quantity }) => ({ variantId, quantity }))));
      return { taken: held.taken === true, expiresAt: new Date(held.expiresAt) };
    },
    commit: async (reservationId) => void (await call("commitReservation", () => inventory.commit(reservationId))),
    release: async (reservationId, conditions = {}) =>
      void (await call("releaseReservation", () => inventory.release(reservationId, { ifExpiresAt: conditions.ifExpiresAt ?? null, ifIdleForMs: conditions.ifIdleForMs ?? null, leaving: conditions.leaving ?? null }))),
  };
}
