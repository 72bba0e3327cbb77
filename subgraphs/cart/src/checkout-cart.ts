import type { Prisma, PrismaClient } from "#kernel/relational";
import { priceCart, type PricedCart, type StoredCart } from "./domain/cart.js";
import { createPrismaCartStore, readCartAlong } from "./adapters/prisma-cart.store.js";
import { createPrismaPricingStore, pricingDataOf, pricingStatement } from "./adapters/prisma-pricing.store.js";
import { createCartPricingService, pricingQueryOf, type CartQuote, type QuoteRequest } from "./pricing/cart-pricing.service.js";
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
   * own table), sent after the cart's in the same round trip; with `quoting`, the pricing data
   * that request's quote reads too, third in the same round trip, and `quote` then prices with
   * it (what `quote` answers for the same request, one statement fewer).
   */
  readAlong<T>(userId: string, alongside: Prisma.Sql, quoting?: QuoteAsked): Promise<{ cart: StoredCart; alongside: T[]; quote?: (cart: PricedCart) => Promise<CartQuote> }>;
  /** The stored cart at current catalog prices (per variant), with the accepted price of each line. */
  price(cart: StoredCart): Promise<PricedCart>;
  /** The totals checkout charges for this cart, shipping method, destination and coupon. */
  quote(cart: PricedCart, request: QuoteAsked): Promise<CartQuote>;
}

/** What checkout prices a cart for: where it goes, how, with which coupon (null: the cart's). */
export interface QuoteAsked {
  destination: Destination;
  shippingMethodId: string;
  couponCode: string | null;
}

export function createCheckoutCart(deps: { prisma: PrismaClient; catalog: ProductCatalog; clock?: () => Date }): CheckoutCart {
  const store = createPrismaCartStore(deps.prisma);
  const pricing = createCartPricingService({ store: createPrismaPricingStore(deps.prisma), clock: deps.clock });
  return {
    read: (userId) => store.find(userId),
    async readAlong<T>(userId: string, alongside: Prisma.Sql, quoting?: QuoteAsked) {
      const request = quoting && quoteRequest(userId, quoting);
      // A coupon code no coupon can have is refused by `quote` unread.
      const query = request && pricingQueryOf(request);
      const read = await readCartAlong(deps.prisma, userId, query ? [alongside, pricingStatement(query)] : [alongside]);
      const pricingData = query ? pricingDataOf(read.alongside[1]![0]) : undefined;
      return {
        cart: read.cart,
        alongside: read.alongside[0] as T[],
        ...(request && pricingData && { quote: (cart: PricedCart) => pricing.quote(cart, request, pricingData) }),
      };
    },
    async price(cart) {
      if (cart.lines.length === 0) return priceCart(cart, new Map());
      return priceCart(cart, await deps.catalog.findVariants(cart.lines.map((line) => line.variantId)));
    },
    quote: (cart, request) => pricing.quote(cart, quoteRequest(cart.userId, request)),
  };
}

/** Checkout's quotes are strict: a coupon that does not apply, a missing method are refused, not left out. */
const quoteRequest = (userId: string, { destination, shippingMethodId, couponCode }: QuoteAsked): QuoteRequest => ({
  cartKey: userId,
  userId,
  destination,
  shippingMethodId,
  couponCode,
  strict: true,
});
