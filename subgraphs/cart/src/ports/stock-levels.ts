/** The inventory subgraph as the cart sees it: units of each variant that can be bought right now. */
export interface StockLevels {
  /** One call for all variant ids; a variant the inventory does not know has 0 available. */
  availableByIds(variantIds: readonly string[]): Promise<Map<string, number>>;
}
