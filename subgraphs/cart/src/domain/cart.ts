import { badInput, DomainError, ErrorCode, outOfStock, type Money } from "#kernel";

/** One stored line: what the customer wants and the unit price they accepted for it. */
export interface CartLine {
  productId: string;
  quantity: number;
  accepted: Money;
  addedAt: Date;
}

/** A customer's cart as stored; a customer who never used the cart has no lines. */
export interface StoredCart {
  userId: string;
  updatedAt: Date | null;
  /** The order that took the cart's lines last, unless the cart changed since. */
  lastOrderId: string | null;
  lines: CartLine[];
}

/** What the catalog says about a product right now. */
export interface CatalogProduct {
  id: string;
  name: string;
  price: Money;
}

/** A line priced at the product's current price. */
export interface PricedLine {
  productId: string;
  name: string;
  quantity: number;
  accepted: Money;
  current: Money;
}

/**
 * A cart as the customer sees it. Lines whose product left the catalog are listed apart in
 * `unavailable`: they are not shown, not counted and not ordered (checkout drops them).
 */
export interface PricedCart {
  userId: string;
  updatedAt: Date | null;
  lastOrderId: string | null;
  lines: PricedLine[];
  unavailable: string[];
}

export interface CartLimits {
  /** Most units of one product in one order (the inventory's per-order limit). */
  maxQuantityPerLine: number;
  /** Most distinct products in one cart. */
  maxLines: number;
}

/** Prices every line from the catalog's answer; missing products become unavailable. */
export function priceCart(cart: StoredCart, products: ReadonlyMap<string, CatalogProduct | null>): PricedCart {
  const lines: PricedLine[] = [];
  const unavailable: string[] = [];
  for (const line of cart.lines) {
    const product = products.get(line.productId);
    if (!product) {
      unavailable.push(line.productId);
      continue;
    }
    lines.push({ productId: line.productId, name: product.name, quantity: line.quantity, accepted: line.accepted, current: product.price });
  }
  return { userId: cart.userId, updatedAt: cart.updatedAt, lastOrderId: cart.lastOrderId, lines, unavailable };
}

export const priceChanged = (line: PricedLine): boolean =>
  line.current.amount !== line.accepted.amount || line.current.currency !== line.accepted.currency;

/** The currency of a cart's lines; a cart holds one currency, USD while it is empty. */
export const cartCurrency = (cart: PricedCart): string => cart.lines[0]?.current.currency ?? "USD";

/**
 * Checks a line's new quantity against the rules: a whole positive number, at most the
 * per-order limit, at most what is in stock. `available` is the stock right now.
 */
export function checkQuantity(productId: string, quantity: number, available: number, limits: CartLimits): void {
  if (!Number.isInteger(quantity) || quantity < 1) throw badInput("A quantity must be a whole number of at least 1", { field: "quantity", productId });
  if (quantity > limits.maxQuantityPerLine) {
    throw new DomainError(ErrorCode.QUANTITY_LIMIT_EXCEEDED, `At most ${limits.maxQuantityPerLine} units of one product fit in an order`, {
      productId,
      limit: limits.maxQuantityPerLine,
    });
  }
  if (quantity > available) throw outOfStock(productId, available);
}
