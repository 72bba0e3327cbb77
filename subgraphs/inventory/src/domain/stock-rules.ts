import { badInput, MAX_CATALOG_ID_LENGTH } from "#kernel";
import { illegalTransition, quantityLimitExceeded } from "./inventory.errors.js";
import type { ReservationStatus, StockItem } from "./stock.js";

/** Distinct variants one reservation may hold; a checkout is far smaller. */
export const MAX_ITEMS_PER_RESERVATION = 100;
/** Units one restock may add: catches typos (an extra zero or three) before they become stock. */
export const MAX_RESTOCK_QUANTITY = 1_000_000;
/** Ids are checked before anything is looked up: a 10 KB id is refused, never queried. */
export const MAX_ID_LENGTH = MAX_CATALOG_ID_LENGTH;

/** Code-unit order: the one order every transaction locks stock rows in, so none deadlock. */
export const byVariantId = (a: StockItem, b: StockItem) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0);

function validId(field: string, value: string): string {
  const id = value.trim();
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw badInput(`${field} must have 1-${MAX_ID_LENGTH} characters`, { field });
  return id;
}

export const validReservationId = (reservationId: string) => validId("reservationId", reservationId);

/**
 * Checks a reservation request before anything is touched, so a refused request changes
 * nothing: every quantity positive and within the per-order limit, each variant once.
 * Returns the items in lock order.
 */
export function validReservation(reservationId: string, items: readonly StockItem[], maxQuantityPerOrder: number): { reservationId: string; items: StockItem[] } {
  const id = validReservationId(reservationId);
  if (items.length === 0) throw badInput("A reservation needs at least one item", { field: "items" });
  if (items.length > MAX_ITEMS_PER_RESERVATION) throw badInput(`A reservation holds at most ${MAX_ITEMS_PER_RESERVATION} products`, { field: "items" });
  const seen = new Set<string>();
  const valid = items.map(({ variantId, quantity }) => {
    const variant = validId("variantId", variantId);
    if (seen.has(variant)) throw badInput(`Variant ${variant} appears twice; give each variant once with its total quantity`, { field: "items", variantId: variant });
    seen.add(variant);
    if (!Number.isInteger(quantity) || quantity < 1) throw badInput(`The quantity of ${variant} must be a positive whole number`, { field: "quantity", variantId: variant });
    if (quantity > maxQuantityPerOrder) throw quantityLimitExceeded(variant, quantity, maxQuantityPerOrder);
    return { variantId: variant, quantity };
  });
  return { reservationId: id, items: valid.sort(byVariantId) };
}

export function validRestock(variantId: string, quantity: number): StockItem {
  const variant = validId("variantId", variantId);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_RESTOCK_QUANTITY) {
    throw badInput(`A restock adds 1-${MAX_RESTOCK_QUANTITY} units`, { field: "quantity", variantId: variant });
  }
  return { variantId: variant, quantity };
}

/** Whether a repeated reservation request asks for what the first one holds (both in lock order). */
export function sameItems(a: readonly StockItem[], b: readonly StockItem[]): boolean {
  return a.length === b.length && a.every((item, i) => item.variantId === b[i]!.variantId && item.quantity === b[i]!.quantity);
}

/**
 * What committing does from each status. A HELD reservation commits even past its expiry
 * time while the sweeper has not expired it yet: its units are still held, so nobody else
 * can have sold them. EXPIRED and RELEASED ones gave their units back; committing them
 * must take the units again (or fail).
 */
export function commitStep(status: ReservationStatus): "commit" | "unchanged" | "reserve-again" {
  if (status === "HELD") return "commit";
  if (status === "COMMITTED") return "unchanged";
  return "reserve-again";
}

/**
 * When a conditional release may give a HELD reservation back: `expiringBy`, its caller took it
 * and no reserve refreshed it since (every reserve moves the expiry on); `reservedBy`, no reserve
 * touched it after that instant (an attempt that reserved it then is dead or past its window).
 * `leaving`: a checkout try counting itself out of the hold's live tries (every reserve counted
 * one in): the last one out, no order placed on it, frees it (`leftLast`).
 * Any suffices; with none the release is unconditional. Idleness is read from the row's
 * last reserve, never derived from the expiry: the time to live is configuration, and a hold
 * made under another TTL (a rollout changing it) would look idle, or busy, by the wrong amount.
 */
export interface ReleaseConditions {
  expiringBy?: Date;
  reservedBy?: Date;
  leaving?: boolean;
}

export function releasable(expiresAt: Date, lastReservedAt: Date, { expiringBy, reservedBy, leaving }: ReleaseConditions, leftLast = false): boolean {
  if (expiringBy === undefined && reservedBy === undefined && !leaving) return true;
  return (expiringBy !== undefined && expiresAt <= expiringBy) || (reservedBy !== undefined && lastReservedAt <= reservedBy) || (leaving === true && leftLast);
}

/** What releasing does: idempotent for holds already given back; a sale cannot be undone here. */
export function releaseStep(reservationId: string, status: ReservationStatus): "release" | "unchanged" {
  if (status === "HELD") return "release";
  if (status === "COMMITTED") throw illegalTransition(reservationId, status, "RELEASED");
  return "unchanged";
}
