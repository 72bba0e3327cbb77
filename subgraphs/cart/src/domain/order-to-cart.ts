import { MAX_ORDER_TOTAL } from "#kernel";
import type { CartLimits, CartLine, CatalogVariant, StoredCart } from "./cart.js";
import type { OrderedLine } from "../ports/order-history.js";

/** What putting an order back in the cart did with one of its lines (the schema's OrderLineToCartOutcome). */
export type OrderLineOutcome =
  | "ADDED"
  | "ALREADY_IN_CART"
  | "ALREADY_PUT_BACK"
  | "LIMITED_BY_STOCK"
  | "QUANTITY_LIMIT"
  | "ORDER_VALUE_LIMIT"
  | "OUT_OF_STOCK"
  | "NO_LONGER_SOLD"
  | "CART_FULL"
  | "CURRENCY_MISMATCH";

/** One order line's result: units ordered, units this call added, units of the variant the cart holds now. */
export interface OrderLineToCart {
  line: OrderedLine;
  added: number;
  quantityInCart: number;
  outcome: OrderLineOutcome;
}

/** What the order's variants are now, read before the cart is locked. */
export interface OrderToCartFacts {
  /** The variant now, or null when it left the catalog. */
  variants: ReadonlyMap<string, CatalogVariant | null>;
  /** Units of the variant that can be bought right now. */
  available: ReadonlyMap<string, number>;
}

/**
 * Whether the order's items go back in the cart only once. An order that was never paid for (its
 * payment declined, or cancelled) stands for one purchase the customer still means to make:
 * once its items were put back, putting them back again (another tab, after the first tab
 * checked out) would buy them twice. An order that went through is bought again as often as
 * asked: each time is a purchase of its own.
 */
export const putBackOnce = (status: string | null): boolean => status === "PAYMENT_FAILED" || status === "CANCELLED";

/** The cart lines to write and each order line's result. */
export interface OrderToCartPlan {
  lines: CartLine[];
  results: OrderLineToCart[];
}

/**
 * "Buy again": the cart ends up holding, of each of the order's variants, at least the order's
 * quantity, as far as the cart's rules allow. The target is a level, not an increment, so a
 * repeat (a double click, a retry after a lost answer) finds it reached and adds nothing.
 * - a line the cart already holds is raised to the order's quantity, never lowered;
 * - units are capped by the per-line limit, the variant's stock now and what one order may
 *   cost (MAX_ORDER_TOTAL); a variant that left the catalog, is sold out, is priced in
 *   another currency than the cart, or would be a line past CART_MAX_LINES is skipped;
 * - every unit is priced as addToCart prices it: a line that gets units accepts the
 *   variant's current price (the order's old price plays no part);
 * - `putBackBefore` (an order put back once only, putBackOnce, whose items went back before):
 *   nothing is added; a line the cart holds fewer units of than ordered is ALREADY_PUT_BACK.
 */
export function planOrderToCart(order: readonly OrderedLine[], cart: StoredCart, facts: OrderToCartFacts, limits: CartLimits, now: Date, putBackBefore = false): OrderToCartPlan {
  const held = new Map(cart.lines.map((line) => [line.variantId, line]));
  let lineCount = cart.lines.length;
  let value = cart.lines.reduce((sum, line) => sum + line.accepted.amount * line.quantity, 0);
  const lines: CartLine[] = [];
  const results: OrderLineToCart[] = [];
  for (const line of mergeByVariant(order)) {
    const variant = facts.variants.get(line.variantId) ?? null;
    const current = held.get(line.variantId);
    const had = current?.quantity ?? 0;
    const skip = (outcome: OrderLineOutcome) => results.push({ line, added: 0, quantityInCart: had, outcome });
    // A held line of a variant gone from the catalog is not shown: it counts for nothing.
    if (!variant) {
      results.push({ line, added: 0, quantityInCart: 0, outcome: "NO_LONGER_SOLD" });
      continue;
    }
    if (had >= line.quantity) {
      skip("ALREADY_IN_CART");
      continue;
    }
    if (putBackBefore) {
      skip("ALREADY_PUT_BACK");
      continue;
    }
    // A cart holds one currency: that of its other lines (the line itself may change with its price, as in addToCart).
    const other = cart.lines.find((held) => held.variantId !== line.variantId) ?? lines.find((added) => added.variantId !== line.variantId);
    if (other && other.accepted.currency !== variant.price.currency) {
      skip("CURRENCY_MISMATCH");
      continue;
    }
    if (!current && lineCount >= limits.maxLines) {
      skip("CART_FULL");
      continue;
    }
    const available = facts.available.get(line.variantId) ?? 0;
    const price = variant.price.amount;
    // The line's units are all counted at the current price once it changes (as addToCart does).
    const valueRoom = Math.max(0, MAX_ORDER_TOTAL - value + (current ? current.accepted.amount * had : 0));
    const affordable = price > 0 ? Math.floor(valueRoom / price) : Number.MAX_SAFE_INTEGER;
    const caps: [number, OrderLineOutcome][] = [
      [limits.maxQuantityPerLine, "QUANTITY_LIMIT"],
      [available, available > 0 ? "LIMITED_BY_STOCK" : "OUT_OF_STOCK"],
      [affordable, "ORDER_VALUE_LIMIT"],
    ];
    const quantity = Math.min(line.quantity, ...caps.map(([cap]) => cap));
    const limitedBy = quantity < line.quantity ? caps.find(([cap]) => cap === quantity)![1] : null;
    if (quantity <= had) {
      skip(limitedBy ?? "ALREADY_IN_CART");
      continue;
    }
    // New lines a millisecond apart: the cart lists lines as added, so they keep the order's order.
    const addedAt = current?.addedAt ?? new Date(now.getTime() + (lineCount - cart.lines.length));
    lines.push({ variantId: line.variantId, productId: line.productId, quantity, accepted: variant.price, addedAt });
    results.push({ line, added: quantity - had, quantityInCart: quantity, outcome: limitedBy ?? "ADDED" });
    value += price * quantity - (current ? current.accepted.amount * had : 0);
    if (!current) lineCount += 1;
  }
  return { lines, results };
}

/** An order holds one line per variant; lines written before that rule are added up. */
function mergeByVariant(order: readonly OrderedLine[]): OrderedLine[] {
  const merged = new Map<string, OrderedLine>();
  for (const line of order) {
    const seen = merged.get(line.variantId);
    merged.set(line.variantId, seen ? { ...seen, quantity: seen.quantity + line.quantity } : line);
  }
  return [...merged.values()];
}
