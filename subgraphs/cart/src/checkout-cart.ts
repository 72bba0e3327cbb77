import type { Prisma, PrismaClient } from "#kernel/relational";
import { priceCart, type PricedCart } from "./domain/cart.js";
import { createPrismaCartStore, removeOrderedLines, type CartRemoval, type OrderedLine } from "./adapters/prisma-cart.store.js";
import type { ProductCatalog } from "./ports/product-catalog.js";

/**
 * What checkout needs from the cart, for the orders subgraph. The cart's tables are read
 * and written only by the cart's code: orders calls these functions, and the removal runs
 * inside the order's transaction (same database), so an order exists exactly when its lines
 * left the cart. A direct read rather than an internal GraphQL query saves a network hop on
 * the busiest write path; the products lookup behind it is one `_entities` call.
 */
export interface CheckoutCart {
  /** The cart at current catalog prices, with the accepted price of each line. */
  priced(userId: string): Promise<PricedCart>;
  /**
   * Removes exactly the priced lines (and unavailable ones) inside the given transaction, or
   * answers "changed" when any of them is gone or differs; then the caller rolls back. Of
   * concurrent removals from one cart, one finds the lines, the others "changed".
   */
  removeOrdered(tx: Prisma.TransactionClient, userId: string, orderId: string, ordered: readonly OrderedLine[], unavailable: readonly string[]): Promise<CartRemoval>;
}

export function createCheckoutCart(deps: { prisma: PrismaClient; catalog: ProductCatalog }): CheckoutCart {
  const store = createPrismaCartStore(deps.prisma);
  return {
    async priced(userId) {
      const cart = await store.find(userId);
      if (cart.lines.length === 0) return priceCart(cart, new Map());
      return priceCart(cart, await deps.catalog.findByIds(cart.lines.map((line) => line.productId)));
    },
    removeOrdered: removeOrderedLines,
  };
}
