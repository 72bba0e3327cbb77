import type { SubgraphClient } from "#kernel";
import type { StockReturns } from "../ports/stock-returns.js";

const RETURN_STOCK = `mutation ReturnStock($returnId: ID!, $items: [StockItemInput!]!) {
  returnStock(returnId: $returnId, items: $items) { id }
}`;

/** Sold units back into stock through the inventory subgraph's internal mutation, as the orders service. */
export function createSubgraphStockReturns(client: SubgraphClient, options: { timeoutMs?: number } = {}): StockReturns {
  return {
    putBack: async (returnId, items) =>
      void (await client.request(RETURN_STOCK, { returnId, items: items.map(({ variantId, quantity }) => ({ variantId, quantity })) }, { timeoutMs: options.timeoutMs ?? 10_000 })),
  };
}
