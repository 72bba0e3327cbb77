import type { PrismaClient } from "#kernel/relational";
import { priceCart, type PricedCart } from "./domain/cart.js";
import { createPrismaCartStore } from "./adapters/prisma-cart.store.js";
import type { ProductCatalog } from "./ports/product-catalog.js";

/**
 * What checkout needs from the cart, for the orders subgraph. The cart's tables are read
 * and written only by the cart's code: orders reads through `priced`, and the order
 * placement removes the ordered lines by calling the cart's database function
 * `cart_take_lines` (see its migration: the cart's row lock, exactly the priced lines or
 * "changed") inside its own statement, so an order exists exactly when its lines left the
 * cart and one cart becomes at most one order. A direct read rather than an internal GraphQL
 * query saves a network hop on the busiest write path; the products lookup behind it is one
 * `_entities` call.
 */
export interface CheckoutCart {
  /** The cart at current catalog prices (per variant), with the accepted price of each line. */
  priced(userId: string): Promise<PricedCart>;
}

export function createCheckoutCart(deps: { prisma: PrismaClient; catalog: ProductCatalog }): CheckoutCart {
  const store = createPrismaCartStore(deps.prisma);
  return {
    async priced(userId) {
      const cart = await store.find(userId);
      if (cart.lines.length === 0) return priceCart(cart, new Map());
      return priceCart(cart, await deps.catalog.findVariants(cart.lines.map((line) => line.variantId)));
    },
  };
}
