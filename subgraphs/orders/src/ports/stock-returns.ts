/**
 * The inventory subgraph's internal API for sold units coming back (a paid order cancelled,
 * a return approved). `putBack` adds the units to the variants' available stock at most once
 * per id, however often it is called: a retried cancel or a double approve restocks once.
 */
export interface StockReturns {
  putBack(returnId: string, items: readonly { variantId: string; quantity: number }[]): Promise<void>;
}
