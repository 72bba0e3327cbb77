import { badInput, decodeCursor, encodeCursor } from "#kernel";
import { SORT_FIELDS, type ListingSort } from "./listing-query.js";

interface ListingCursor {
  f: ListingSort["field"];
  d: ListingSort["direction"];
  k: string;
}

const isCursor = (value: unknown): value is ListingCursor => {
  const cursor = value as ListingCursor;
  return (
    typeof value === "object" && value !== null && (SORT_FIELDS as readonly string[]).includes(cursor.f) && (cursor.d === "ASC" || cursor.d === "DESC") &&
    typeof cursor.k === "string" && cursor.k.length > 0 && cursor.k.length <= 512 && cursor.k.includes("\u0001")
  );
};

/** A cursor names the sort it came from and the key it stopped at (sort value, then product id). */
export const listingCursor = (sort: ListingSort, key: string) => encodeCursor({ f: sort.field, d: sort.direction, k: key } satisfies ListingCursor);

/** The key a cursor holds; BAD_USER_INPUT for a forged cursor or one of another sort. */
export function cursorKey(cursor: string, sort: ListingSort): string {
  const decoded = decodeCursor(cursor, isCursor);
  if (decoded.f !== sort.field || decoded.d !== sort.direction) {
    throw badInput(`The cursor belongs to a listing sorted by ${decoded.f} ${decoded.d}; ask again with that sort or start without a cursor`, { field: "after" });
  }
  return decoded.k;
}
