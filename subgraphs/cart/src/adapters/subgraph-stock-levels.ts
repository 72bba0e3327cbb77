import type { SubgraphClient } from "#kernel";
import type { StockLevels } from "../ports/stock-levels.js";

const STOCK_BY_ID = `query CartStock($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ProductVariant { id stock } }
}`;

/** Units buyable right now per variant, from the inventory subgraph, one `_entities` call per batch. */
export function createSubgraphStockLevels(client: SubgraphClient): StockLevels {
  return {
    async availableByIds(ids) {
      const available = new Map<string, number>(ids.map((id) => [id, 0]));
      if (ids.length === 0) return available;
      const data = await client.request<{ _entities: ({ id: string; stock: number } | null)[] }>(STOCK_BY_ID, {
        representations: ids.map((id) => ({ __typename: "ProductVariant", id })),
      });
      for (const level of data._entities) if (level) available.set(level.id, level.stock);
      return available;
    },
  };
}
