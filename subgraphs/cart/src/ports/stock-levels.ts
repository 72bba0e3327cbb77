/** The inventory subgraph as the cart sees it: units that can be bought right now. */
export interface StockLevels {
  /** One call for all ids; a product the inventory does not know has 0 available. */
  availableByIds(ids: readonly string[]): Promise<Map<string, number>>;
}
