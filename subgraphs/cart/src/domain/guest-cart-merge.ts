import { MAX_ORDER_TOTAL, type Money } from "#kernel";
import type { CartLimits, CartLine, CatalogVariant, StoredCart } from "./cart.js";

/** What the merge needs to know of each guest line's variant, read before the carts are locked. */
export interface MergeFacts {
  /** The variant now, or null when it left the catalog. */
  variants: ReadonlyMap<string, CatalogVariant | null>;
  /** Units of the variant that can be bought right now. */
  available: ReadonlyMap<string, number>;
}

/** The customer's lines to write, and how many guest units went in or were left out. */
export interface MergePlan {
  lines: CartLine[];
  mergedUnits: number;
  droppedUnits: number;
}

/** The guest cart holds a variant the facts were not read for (it changed meanwhile): read again. */
export class StaleMergeFacts extends Error {}

const differs = (a: Money, b: Money) => a.amount !== b.amount || a.currency !== b.currency;

/**
 * The merge rules, applied to the guest's lines in the order they were added:
 * - quantities add up per variant, capped by the per-line limit and the variant's stock; the
 *   units above the cap are left out (the guest cart is deleted with them), and a customer's
 *   own line is never lowered, even when its stock has fallen below it since;
 * - a guest line of a variant the customer does not hold becomes a new line while the cart
 *   has room (CART_MAX_LINES); lines of a variant that left the catalog, that is out of
 *   stock, or priced in another currency than the customer's cart are left out;
 * - accepted prices are re-checked: a line keeps the accepted price that differs from the
 *   current one (the customer's first, then the guest's), so a price that moved since either
 *   of them accepted it shows as acceptedUnitPrice and needs acceptCartPrices, as usual;
 * - the merged cart adds up to at most MAX_ORDER_TOTAL at its accepted prices: units past
 *   that are left out, as units past the other limits are.
 */
export function planGuestCartMerge(guest: StoredCart, customer: StoredCart, facts: MergeFacts, limits: CartLimits): MergePlan {
  const held = new Map(customer.lines.map((line) => [line.variantId, line]));
  let currency = customer.lines[0]?.accepted.currency;
  let lineCount = customer.lines.length;
  const lines: CartLine[] = [];
  let mergedUnits = 0;
  let droppedUnits = 0;
  let value = customer.lines.reduce((sum, line) => sum + line.accepted.amount * line.quantity, 0);
  for (const line of guest.lines) {
    const variant = facts.variants.get(line.variantId);
    const available = facts.available.get(line.variantId);
    if (variant === undefined || available === undefined) throw new StaleMergeFacts(line.variantId);
    const current = held.get(line.variantId);
    if (!variant || (currency !== undefined && variant.price.currency !== currency) || (!current && lineCount >= limits.maxLines)) {
      droppedUnits += line.quantity;
      continue;
    }
    const had = current?.quantity ?? 0;
    const accepted = current && differs(current.accepted, variant.price) ? current.accepted : line.accepted;
    // The customer's own units keep their accepted price; every unit merged in is counted at this one.
    const valueRoom = Math.max(0, MAX_ORDER_TOTAL - value + (current ? current.accepted.amount * had : 0));
    const affordable = accepted.amount > 0 ? Math.floor(valueRoom / accepted.amount) : Number.MAX_SAFE_INTEGER;
    const cap = Math.min(limits.maxQuantityPerLine, available, affordable);
    const quantity = Math.max(had, Math.min(had + line.quantity, cap));
    const added = quantity - had;
    mergedUnits += added;
    droppedUnits += line.quantity - added;
    if (added === 0) continue;
    value += accepted.amount * quantity - (current ? current.accepted.amount * had : 0);
    lines.push({ variantId: line.variantId, productId: line.productId, quantity, accepted, addedAt: current?.addedAt ?? line.addedAt });
    if (!current) lineCount += 1;
    currency ??= variant.price.currency;
  }
  return { lines, mergedUnits, droppedUnits };
}
