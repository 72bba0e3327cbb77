import type { SubgraphClient } from "#kernel";
import type { StockReservations } from "../ports/stock-reservations.js";

const RESERVE = `mutation ReserveStock($reservationId: ID!, $items: [StockItemInput!]!) {
  reserveStock(reservationId: $reservationId, items: $items) { id status }
}`;
const COMMIT = `mutation CommitReservation($reservationId: ID!) { commitReservation(reservationId: $reservationId) { id status } }`;
const RELEASE = `mutation ReleaseReservation($reservationId: ID!) { releaseReservation(reservationId: $reservationId) { id status } }`;

/** Stock holds through the inventory subgraph's internal mutations, as the orders service. */
export function createSubgraphStockReservations(client: SubgraphClient, options: { timeoutMs?: number } = {}): StockReservations {
  const call = (query: string, variables: Record<string, unknown>) => client.request(query, variables, { timeoutMs: options.timeoutMs ?? 10_000 });
  return {
    reserve: async (reservationId, items) => void (await call(RESERVE, { reservationId, items: items.map(({ variantId, quantity }) => ({ variantId, quantity })) })),
    commit: async (reservationId) => void (await call(COMMIT, { reservationId })),
    release: async (reservationId) => void (await call(RELEASE, { reservationId })),
  };
}
