import { badInput, notFound, type Money } from "#kernel";
import { checkQuantity, priceCart, type CartLimits, type CatalogProduct, type PricedCart, type StoredCart } from "./cart.js";
import type { CartStore } from "../ports/cart-store.js";

/**
 * Per-request lookups into other subgraphs, batched and cached for the request (DataLoader),
 * so one cart read costs one products call however many lines it has.
 */
export interface CartLookups {
  products(ids: readonly string[]): Promise<Map<string, CatalogProduct | null>>;
  available(productId: string): Promise<number>;
}

/**
 * Cart rules: quantities are whole, positive, within the per-order limit and the stock;
 * a cart holds one currency; each line remembers the price the customer accepted, which is
 * refreshed whenever they act on the line, so checkout can refuse a silent price change.
 */
export function createCartService(deps: { store: CartStore; limits: CartLimits; clock?: () => Date }) {
  const { store, limits } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function price(cart: StoredCart, lookups: CartLookups): Promise<PricedCart> {
    return priceCart(cart, await lookups.products(cart.lines.map((line) => line.productId)));
  }

  async function productOf(productId: string, lookups: CartLookups): Promise<CatalogProduct> {
    const product = (await lookups.products([productId])).get(productId);
    if (!product) throw notFound("Product", productId);
    return product;
  }

  function sameCurrency(cart: StoredCart, productId: string, price: Money): void {
    const other = cart.lines.find((line) => line.productId !== productId);
    if (other && other.accepted.currency !== price.currency) {
      throw badInput(`A cart holds one currency: this product is priced in ${price.currency}, the cart in ${other.accepted.currency}`, { productId });
    }
  }

  const view = async (userId: string, lookups: CartLookups): Promise<PricedCart> => price(await store.find(userId), lookups);

  /**
   * Removes a product's line. A line the cart does not hold is NOT_FOUND, as it is for
   * `update`: both name a line, and both say the same when it is not there.
   */
  const remove = async (userId: string, productId: string, lookups: CartLookups): Promise<PricedCart> =>
    price(
      await store.changeLine(userId, productId, (current) => {
        if (!current) throw notFound("Cart line for product", productId);
        return null;
      }),
      lookups,
    );

  return {
    view,
    remove,

    async add(userId: string, productId: string, quantity: number, lookups: CartLookups): Promise<PricedCart> {
      if (!Number.isInteger(quantity) || quantity < 1) throw badInput("A quantity must be a whole number of at least 1", { field: "quantity", productId });
      const [product, available] = await Promise.all([productOf(productId, lookups), lookups.available(productId)]);
      const cart = await store.changeLine(userId, productId, (current, cart) => {
        if (!current && cart.lines.length >= limits.maxLines) throw badInput(`A cart holds at most ${limits.maxLines} different products`, { productId });
        sameCurrency(cart, productId, product.price);
        const total = (current?.quantity ?? 0) + quantity;
        checkQuantity(productId, total, available, limits);
        return { productId, quantity: total, accepted: product.price, addedAt: current?.addedAt ?? clock() };
      });
      return price(cart, lookups);
    },

    /** Sets a line's quantity; 0 removes it. */
    async update(userId: string, productId: string, quantity: number, lookups: CartLookups): Promise<PricedCart> {
      if (quantity === 0) return remove(userId, productId, lookups);
      if (!Number.isInteger(quantity) || quantity < 0) throw badInput("A quantity must be a whole number, 0 to remove the line", { field: "quantity", productId });
      const [product, available] = await Promise.all([productOf(productId, lookups), lookups.available(productId)]);
      const cart = await store.changeLine(userId, productId, (current, cart) => {
        if (!current) throw notFound("Cart line for product", productId);
        sameCurrency(cart, productId, product.price);
        checkQuantity(productId, quantity, available, limits);
        return { ...current, quantity, accepted: product.price };
      });
      return price(cart, lookups);
    },

    /** Accepts the current price of every line still in the catalog. */
    async acceptPrices(userId: string, lookups: CartLookups): Promise<PricedCart> {
      const current = await view(userId, lookups);
      const prices = new Map(current.lines.map((line) => [line.productId, line.current]));
      return price(await store.acceptPrices(userId, prices), lookups);
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;
