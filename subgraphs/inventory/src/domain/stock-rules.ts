import { badInput } from "#kernel";
import { illegalTransition, quantityLimitExceeded } from "./inventory.errors.js";
import type { ReservationStatus, StockItem } from "./stock.js";

/** Distinct products one reservation may hold; a checkout is far smaller. */
export const MAX_ITEMS_PER_RESERVATION = 100;
/** Units one restock may add: catches typos (an extra zero or three) before they become stock. */
export const MAX_RESTOCK_QUANTITY = 1_000_000;
const MAX_ID_LENGTH = 100;

/** Code-unit order: the one order every transaction locks stock rows in, so none deadlock. */
export const byProductId = (a: StockItem, b: StockItem) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);

function validId(field: string, value: string): string {
  const id = value.trim();
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw badInput(`${field} must have 1-${MAX_ID_LENGTH} characters`, { field });
  return id;
}

export const validReservationId = (reservationId: string) => validId("reservationId", reservationId);

/**
 * Checks a reservation request before anything is touched, so a refused request changes
 * nothing: every quantity positive and within the per-order limit, each product once.
 * Returns the items in lock order.
 */
export function validReservation(reservationId: string, items: readonly StockItem[], maxQuantityPerOrder: number): { reservationId: string; items: StockItem[] } {
  const id = validReservationId(reservationId);
  if (items.length === 0) throw badInput("A reservation needs at least one item", { field: "items" });
  if (items.length > MAX_ITEMS_PER_RESERVATION) throw badInput(`A reservation holds at most ${MAX_ITEMS_PER_RESERVATION} products`, { field: "items" });
  const seen = new Set<string>();
  const valid = items.map(({ productId, quantity }) => {
    const product = validId("productId", productId);
    if (seen.has(product)) throw badInput(`Product ${product} appears twice; give each product once with its total quantity`, { field: "items", productId: product });
    seen.add(product);
    if (!Number.isInteger(quantity) || quantity < 1) throw badInput(`The quantity of ${product} must be a positive whole number`, { field: "quantity", productId: product });
    if (quantity > maxQuantityPerOrder) throw quantityLimitExceeded(product, quantity, maxQuantityPerOrder);
    return { productId: product, quantity };
  });
  return { reservationId: id, items: valid.sort(byProductId) };
}

export function validRestock(productId: string, quantity: number): StockItem {
  const product = validId("productId", productId);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_RESTOCK_QUANTITY) {
    throw badInput(`A restock adds 1-${MAX_RESTOCK_QUANTITY} units`, { field: "quantity", productId: product });
  }
  return { productId: product, quantity };
}

/** Whether a repeated reservation request asks for what the first one holds (both in lock order). */
export function sameItems(a: readonly StockItem[], b: readonly StockItem[]): boolean {
  return a.length === b.length && a.every((item, i) => item.productId === b[i]!.productId && item.quantity === b[i]!.quantity);
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

/** What releasing does: idempotent for holds already given back; a sale cannot be undone here. */
export function releaseStep(reservationId: string, status: ReservationStatus): "release" | "unchanged" {
  if (status === "HELD") return "release";
  if (status === "COMMITTED") throw illegalTransition(reservationId, status, "RELEASED");
  return "unchanged";
}
