import { createHash } from "node:crypto";
import { badInput, decodeCursor, encodeCursor } from "#kernel";
import { SORT_FIELDS, type ListingFilter, type ListingSort } from "./listing-query.js";

interface ListingCursor {
  f: ListingSort["field"];
  d: ListingSort["direction"];
  k: string;
  /** The filters' fingerprint (see listingScope); absent from cursors made before it was kept. */
  s?: string;
}

const isCursor = (value: unknown): value is ListingCursor => {
  const cursor = value as ListingCursor;
  return (
    typeof value === "object" && value !== null && (SORT_FIELDS as readonly string[]).includes(cursor.f) && (cursor.d === "ASC" || cursor.d === "DESC") &&
    typeof cursor.k === "string" && cursor.k.length > 0 && cursor.k.length <= 512 && cursor.k.includes("\u0001") &&
    (cursor.s === undefined || (typeof cursor.s === "string" && cursor.s.length <= 32))
  );
};

/**
 * What a listing's filters select, as a short fingerprint: the category asked for and the
 * filters as validated (names and values lower-cased, option criteria in one order), so one
 * listing spelled two ways has one fingerprint and two listings have two.
 */
export function listingScope(category: string | undefined, filter: Omit<ListingFilter, "categories">): string {
  const options = (filter.options ?? []).map(({ name, values }) => [name, [...values].sort()] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const facts = [category?.trim().toLowerCase() ?? null, filter.priceMin ?? null, filter.priceMax ?? null, filter.inStock ?? null, options];
  return createHash("sha256").update(JSON.stringify(facts)).digest("base64url").slice(0, 12);
}

/**
 * A cursor names the sort and the filters it came from and the key it stopped at (sort value,
 * then product id). One made without filters' fingerprint (a position forged by a tool, or a
 * cursor made before it was kept) continues any listing of its sort.
 */
export const listingCursor = (sort: ListingSort, key: string, scope?: string) => encodeCursor({ f: sort.field, d: sort.direction, k: key, ...(scope !== undefined && { s: scope }) } satisfies ListingCursor);

/**
 * The key a cursor holds; BAD_USER_INPUT for a forged cursor, one of another sort, or one of
 * other filters: its key, continued in another listing, answered a page of that listing that
 * its client took for the next of the first.
 */
export function cursorKey(cursor: string, sort: ListingSort, scope: string): string {
  const decoded = decodeCursor(cursor, isCursor);
  if (decoded.f !== sort.field || decoded.d !== sort.direction) {
    throw badInput(`The cursor belongs to a listing sorted by ${decoded.f} ${decoded.d}; ask again with that sort or start without a cursor`, { field: "after" });
  }
  if (decoded.s !== undefined && decoded.s !== scope) {
    throw badInput("The cursor belongs to a listing with other filters (category, price, stock or options); ask again with the filters it came from or start without a cursor", { field: "after" });
  }
  return decoded.k;
}
