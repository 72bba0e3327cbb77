import { ErrorCode, outOfStock } from "#kernel";

/**
 * Variants the inventory just answered sold out (OUT_OF_STOCK with nothing available), kept for
 * a moment so the next checkouts of them are refused on the stored cart (and a look at the
 * idempotency key), before the catalog lookup, pricing and the inventory call: in a flash sale
 * the losers outnumber the winners by far, and each of those steps is work done only to hear
 * "sold out" again.
 *
 * Only a refusal with no unit held by any checkout is remembered (`soldOutForGood`): units held
 * may come back at any moment (a second tab or an edited cart losing its checkout, a payment
 * failing), and refusing everyone for a while after would leave them unsold while the customers
 * who wanted them were sent away. So the memo can refuse a checkout the inventory would have
 * accepted for at most `ttlMs` after units come back only by a restock or a return; it never
 * lets through what the inventory would refuse. Per process and bounded: a replica learns on
 * its own first refusal.
 */
export interface SoldOutMemo {
  /** Remembers that the inventory had nothing left of this variant just now. */
  remember(variantId: string): void;
  /** The first of these variants remembered as sold out and not yet expired. */
  soldOutAmong(variantIds: readonly string[]): string | undefined;
  /** Whether any variant is remembered (an expired one may still count until it is next asked about). */
  remembersAny(): boolean;
}

export function createSoldOutMemo(options: { ttlMs?: number; maxVariants?: number; clock?: () => number } = {}): SoldOutMemo {
  const ttlMs = options.ttlMs ?? 1_000;
  const maxVariants = options.maxVariants ?? 10_000;
  const now = options.clock ?? Date.now;
  const until = new Map<string, number>();
  return {
    remember(variantId) {
      if (ttlMs <= 0) return;
      if (!until.has(variantId) && until.size >= maxVariants) {
        // Full: the oldest entry goes (a Map iterates in insertion order).
        const oldest = until.keys().next().value;
        if (oldest !== undefined) until.delete(oldest);
      }
      until.delete(variantId);
      until.set(variantId, now() + ttlMs);
    },
    remembersAny: () => until.size > 0,
    soldOutAmong(variantIds) {
      if (until.size === 0) return undefined;
      const at = now();
      for (const variantId of variantIds) {
        const expiry = until.get(variantId);
        if (expiry === undefined) continue;
        if (expiry > at) return variantId;
        until.delete(variantId);
      }
      return undefined;
    },
  };
}

/** What an inventory OUT_OF_STOCK refusal says, or undefined for any other error. */
function outOfStockDetails(error: unknown): { variantId: string; available: number; reserved: unknown } | undefined {
  const extensions = (error as { extensions?: { code?: unknown; variantId?: unknown; available?: unknown; reserved?: unknown } } | null)?.extensions;
  if (extensions?.code !== ErrorCode.OUT_OF_STOCK || typeof extensions.variantId !== "string" || typeof extensions.available !== "number") return undefined;
  return { variantId: extensions.variantId, available: extensions.available, reserved: extensions.reserved };
}

/**
 * The variant an inventory refusal names when it is sold out for good: nothing available and
 * nothing held by a checkout (extensions.reserved 0). "Only 2 left", or none left with units
 * held that may come back, is not.
 */
export function soldOutForGood(error: unknown): string | undefined {
  const refusal = outOfStockDetails(error);
  return refusal && refusal.available === 0 && refusal.reserved === 0 ? refusal.variantId : undefined;
}

/**
 * An inventory refusal as the customer is told it: how many units other checkouts hold is the
 * inventory's word to the orders service, not the customer's business. Other errors as they are.
 */
export function asCustomerRefusal(error: unknown): unknown {
  const refusal = outOfStockDetails(error);
  return refusal ? outOfStock(refusal.variantId, refusal.available) : error;
}
