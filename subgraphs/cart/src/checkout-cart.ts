import type { Prisma, PrismaClient } from "#kernel/relational";
import { priceCart, type PricedCart, type StoredCart } from "./domain/cart.js";
import { createPrismaCartStore, readCartAlong } from "./adapters/prisma-cart.store.js";
import { createPrismaPricingStore } from "./adapters/prisma-pricing.store.js";
import { createCartPricingService, type CartQuote } from "./pricing/cart-pricing.service.js";
import type { Destination } from "./pricing/pricing-types.js";
import type { ProductCatalog } from "./ports/product-catalog.js";

/**
 * What checkout needs from the cart, for the orders subgraph. The cart's tables are read
 * and written only by the cart's code: orders reads through `read` and `price`, and the
 * order placement removes the ordered lines by calling the cart's database function
 * `cart_take_lines` (see its migration: the cart's row lock, exactly the priced lines or
 * "changed") inside its own statement, so an order exists exactly when its lines left the
 * cart and one cart becomes at most one order. A direct read rather than an internal GraphQL
 * query saves a network hop on the busiest write path. Reading and pricing are two steps so
 * that checkout can refuse on the stored lines alone (a variant just sold out) before the
 * products lookup, one `_entities` call. Pricing (shipping, tax, the coupon) is the cart's
 * too: `quote` runs the same function as the cart's estimate, strictly (a coupon that does
 * not apply, a method that does not serve the destination are refused), on one read of the
 * pricing data; the coupon's redemption is written by orders_place through the cart's
 * `coupon_*` functions.
 */
export interface CheckoutCart {
  /** The cart as stored, before the catalog is asked. */
  read(userId: string): Promise<StoredCart>;
  /**
   * The cart as `read` gives it and the rows of one read statement of the caller's (the orders'
   * own table), sent after the cart's in the same round trip.
   */
  readAlong<T>(userId: string, alongside: Prisma.Sql): Promise<{ cart: StoredCart; alongside: T[] }>;
  /** The stored cart at current catalog prices (per variant), with the accepted price of each line. */
  price(cart: StoredCart): Promise<PricedCart>;
  /** The totals checkout charges for this cart, shipping method, destination and coupon. */
  quote(cart: PricedCart, request: { destination: Destination; shippingMethodId: string; couponCode: string | null }): Promise<CartQuote>;
}

export function createCheckoutCart(deps: { prisma: PrismaClient; catalog: ProductCatalog; clock?: () => Date }): CheckoutCart {
  const store = createPrismaCartStore(deps.prisma);
  const pricing = createCartPricingService({ store: createPrismaPricingStore(deps.prisma), clock: deps.clock });
  return {
    read: (userId) => store.find(userId),
    readAlong: (userId, alongside) => readCartAlong(deps.prisma, userId, alongside),
    async price(cart) {
      if (cart.lines.length === 0) return priceCart(cart, new Map());
      return priceCart(cart, await deps.catalog.findVariants(cart.lines.map((line) => line.variantId)));
    },
    quote: (cart, request) =>
      pricing.quote(cart, { cartKey: cart.userId, userId: cart.userId, destination: request.destination, shippingMethodId: request.shippingMethodId, couponCode: request.couponCode, strict: true }),
  };
}
