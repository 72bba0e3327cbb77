/**
 * Payload of a ProductViewed event on `Topics.productViewed`, keyed by product id. One event is
 * one counted view: the products subgraph publishes it only after the viewer's repeat window
 * let it through, so consumers count events, deduplicated by event id only.
 */
export interface ProductViewedPayload {
  productId: string;
  /** The product's category slug (lowercase) when viewed: per-category rankings count it there. */
  category: string;
  /** When the view happened (ISO 8601); rankings bucket it by this time, not by when it was handled. */
  viewedAt: string;
}

/** Event types on `Topics.productViewed`. */
export const ProductViewEventTypes = { viewed: "ProductViewed" } as const;
