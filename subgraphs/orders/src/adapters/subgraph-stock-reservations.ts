import { STOCK_CALL_MS, type SubgraphClient } from "#kernel";
import type { StockReservations } from "../ports/stock-reservations.js";

const RESERVE = `mutation ReserveStock($reservationId: ID!, $items: [StockItemInput!]!) {
  reserveStock(reservationId: $reservationId, items: $items) { id status expiresAt taken }
}`;
const COMMIT = `mutation CommitReservation($reservationId: ID!) { commitReservation(reservationId: $reservationId) { id status } }`;
const RELEASE = `mutation ReleaseReservation($reservationId: ID!, $ifExpiresAt: String, $ifIdleForMs: Int, $leaving: Boolean) {
  releaseReservation(reservationId: $reservationId, ifExpiresAt: $ifExpiresAt, ifIdleForMs: $ifIdleForMs, leaving: $leaving) { id status }
}`;

/** Stock holds through the inventory subgraph's internal mutations, as the orders service. */
export function createSubgraphStockReservations(client: SubgraphClient, options: { timeoutMs?: number } = {}): StockReservations {
  const timeoutMs = options.timeoutMs ?? STOCK_CALL_MS;
  const call = (query: string, variables: Record<string, unknown>) => client.request(query, variables, { timeoutMs });
  return {
    reserve: async (reservationId, items) => {
      const answer = await client.request<{ reserveStock: { expiresAt: string; taken: boolean | null } }>(RESERVE, { reservationId, items: items.map(({ variantId, quantity }) => ({ variantId, quantity })) }, { timeoutMs });
      return { taken: answer.reserveStock.taken === true, expiresAt: new Date(answer.reserveStock.expiresAt) };
    },
    commit: async (reservationId) => void (await call(COMMIT, { reservationId })),
    release: async (reservationId, conditions = {}) =>
      void (await call(RELEASE, { reservationId, ifExpiresAt: conditions.ifExpiresAt?.toISOString() ?? null, ifIdleForMs: conditions.ifIdleForMs ?? null, leaving: conditions.leaving ?? null })),
  };
}
