import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { CatalogVariant } from "./domain/cart.js";
import type { CartLookups, CartService } from "./domain/cart.service.js";
import type { ProductCatalog } from "./ports/product-catalog.js";
import type { StockLevels } from "./ports/stock-levels.js";
import type { OrderHistory } from "./ports/order-history.js";
import type { CartPricingContext } from "./pricing/cart-pricing-context.js";

export interface CartContext extends RequestContext, CartPricingContext {
  service: CartService;
  /** Batched, request-scoped reads of variants and stock: one call per subgraph per tick. */
  lookups: CartLookups;
  /** The customer's past orders (addOrderToCart). */
  orderHistory: OrderHistory;
  /** A new anonymous cart token (guest-cart-token.ts), signed with this deployment's key. */
  issueGuestCartToken: () => string;
}

export function createCartContext(
  base: RequestContext,
  deps: { service: CartService; catalog: ProductCatalog; stock: StockLevels; orderHistory: OrderHistory; issueGuestCartToken: () => string },
): Omit<CartContext, keyof CartPricingContext> {
  return { ...base, service: deps.service, lookups: createCartLookups(deps.catalog, deps.stock), orderHistory: deps.orderHistory, issueGuestCartToken: deps.issueGuestCartToken };
}

export function createCartLookups(catalog: ProductCatalog, stock: StockLevels): CartLookups {
  const variants = new DataLoader<string, CatalogVariant | null>(async (ids) => {
    const found = await catalog.findVariants(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
  const variantIds = new DataLoader<string, string[] | null>(async (ids) => {
    const found = await catalog.variantIdsOf(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
  const available = new DataLoader<string, number>(async (ids) => {
    const levels = await stock.availableByIds(ids);
    return ids.map((id) => levels.get(id) ?? 0);
  });
  return {
    async variants(ids) {
      const loaded = await variants.loadMany(ids);
      const failed = loaded.find((value): value is Error => value instanceof Error);
      if (failed) throw failed;
      return new Map(ids.map((id, i) => [id, loaded[i] as CatalogVariant | null]));
    },
    variantIdsOf: (productId) => variantIds.load(productId),
    available: (variantId) => available.load(variantId),
  };
}
