import { badInput, DomainError, ErrorCode, MAX_ORDER_TOTAL, orderTotalProblem, outOfStock, productIdOfVariant, type Money } from "#kernel";

/** One stored line: what the customer wants (units of one variant) and the unit price they accepted for it. */
export interface CartLine {
  variantId: string;
  /** The variant's product (the part of the variant id before its first ':'). */
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

/** The value a variant has for one of its product's options. */
export interface SelectedOption {
  name: string;
  value: string;
}

/** What the catalog says about a variant right now. */
export interface CatalogVariant {
  id: string;
  productId: string;
  /** The product's name. */
  name: string;
  /** "Red / M"; the product's name for a default variant. */
  title: string;
  sku: string;
  options: SelectedOption[];
  price: Money;
  /** The product's category slug (tax rates can depend on it). */
  category?: string | null;
}

/** A line priced at its variant's current price, with the catalog's names for it. */
export interface PricedLine {
  variantId: string;
  productId: string;
  name: string;
  variantTitle: string;
  sku: string;
  options: SelectedOption[];
  /** The product's category slug, null when the catalog gave none. */
  category: string | null;
  quantity: number;
  accepted: Money;
  current: Money;
  /** When the line was put in the cart: a line removed and put back is another line (checkout takes the one it priced). */
  addedAt: Date;
}

/**
 * A cart as the customer sees it. Lines whose variant left the catalog are listed apart in
 * `unavailable` (their variant ids): they are not shown, not counted and not ordered
 * (checkout drops them).
 */
export interface PricedCart {
  userId: string;
  updatedAt: Date | null;
  lastOrderId: string | null;
  lines: PricedLine[];
  unavailable: string[];
}

export interface CartLimits {
  /** Most units of one variant in one order (the inventory's per-order limit). */
  maxQuantityPerLine: number;
  /** Most distinct variants in one cart. */
  maxLines: number;
}

/** Prices every line from the catalog's answer; missing variants become unavailable. */
export function priceCart(cart: StoredCart, variants: ReadonlyMap<string, CatalogVariant | null>): PricedCart {
  const lines: PricedLine[] = [];
  const unavailable: string[] = [];
  for (const line of cart.lines) {
    const variant = variants.get(line.variantId);
    if (!variant) {
      unavailable.push(line.variantId);
      continue;
    }
    lines.push({
      variantId: line.variantId,
      productId: line.productId,
      name: variant.name,
      variantTitle: variant.title,
      sku: variant.sku,
      options: variant.options,
      category: variant.category ?? null,
      quantity: line.quantity,
      accepted: line.accepted,
      current: variant.price,
      addedAt: line.addedAt,
    });
  }
  return { userId: cart.userId, updatedAt: cart.updatedAt, lastOrderId: cart.lastOrderId, lines, unavailable };
}

export const priceChanged = (line: PricedLine): boolean =>
  line.current.amount !== line.accepted.amount || line.current.currency !== line.accepted.currency;

/** The currency of a cart's lines; a cart holds one currency, USD while it is empty. */
export const cartCurrency = (cart: PricedCart): string => cart.lines[0]?.current.currency ?? "USD";

/**
 * Checks a line's new quantity against the rules: a whole positive number, at most the
 * per-order limit, at most what is in stock. `available` is the variant's stock right now.
 */
export function checkQuantity(variantId: string, quantity: number, available: number, limits: CartLimits): void {
  if (!Number.isInteger(quantity) || quantity < 1) throw badInput("A quantity must be a whole number of at least 1", { field: "quantity", variantId });
  if (quantity > limits.maxQuantityPerLine) {
    throw new DomainError(ErrorCode.QUANTITY_LIMIT_EXCEEDED, `At most ${limits.maxQuantityPerLine} units of one variant fit in an order`, {
      productId: productIdOfVariant(variantId),
      variantId,
      limit: limits.maxQuantityPerLine,
    });
  }
  if (quantity > available) throw outOfStock(variantId, available);
}

/** What a cart's lines add up to at their accepted prices, with `changed` in place of its variant's line. */
export function cartValue(cart: StoredCart, changed: { variantId: string; quantity: number; accepted: Money }): number {
  return cart.lines.reduce((sum, line) => (line.variantId === changed.variantId ? sum : sum + line.accepted.amount * line.quantity), changed.accepted.amount * changed.quantity);
}

/**
 * Refuses accepting the current prices when they take the cart's accepted value up and past
 * what one order may hold (prices raised since the lines went in): accepted, such a cart
 * looks ready to check out and is refused there. A cart that goes down in value may always
 * accept, as it may always be brought down line by line.
 */
export function checkAcceptedPrices(cart: StoredCart, prices: ReadonlyMap<string, Money>): void {
  const before = cart.lines.reduce((sum, line) => sum + line.accepted.amount * line.quantity, 0);
  const after = cart.lines.reduce((sum, line) => sum + (prices.get(line.variantId) ?? line.accepted).amount * line.quantity, 0);
  if (after > before && orderTotalProblem(after)) {
    throw badInput(
      `At today's prices this cart costs ${after.toLocaleString("en-US")} minor units of its currency, more than one order may (${MAX_ORDER_TOTAL.toLocaleString("en-US")}); remove some units, then accept the prices`,
      { field: "cart", limit: MAX_ORDER_TOTAL },
    );
  }
}

/** The largest amount the schema's Int carries. */
const LARGEST_SHOWN_AMOUNT = 2 ** 31 - 1;

/**
 * A cart amount at current prices, as the schema can carry it. Prices raised after the lines
 * went in can take a cart past any order's size and past 2^31 minor units, which no Int
 * holds: the customer is told what to do, with a code, rather than sent an internal error.
 */
export function shownCartAmount(amount: Money, field: "subtotal" | "lineTotal"): Money {
  if (amount.amount <= LARGEST_SHOWN_AMOUNT) return amount;
  throw badInput(
    `At today's prices this cart costs more than one order may (${MAX_ORDER_TOTAL.toLocaleString("en-US")} minor units of its currency); remove some units`,
    { field, limit: MAX_ORDER_TOTAL },
  );
}

/**
 * Refuses a line change that would take the cart past what one order may hold: caught here,
 * before the line is written, rather than as a cart that can no longer be shown or paid.
 */
export function checkCartValue(cart: StoredCart, changed: { variantId: string; quantity: number; accepted: Money }): void {
  const problem = orderTotalProblem(cartValue(cart, changed));
  if (problem) throw badInput(problem, { field: "quantity", variantId: changed.variantId, limit: MAX_ORDER_TOTAL });
}
