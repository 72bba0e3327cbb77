import { badInput } from "../errors/domain-error.js";

/** Opaque cursors: base64url of a JSON value, so clients cannot depend on their shape. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/**
 * The longest cursor any page gives, with room to spare: the longest made (a search's, a sort
 * value and an id) has about 130 characters. A longer one is no cursor of ours, refused before
 * it is decoded and without being quoted back: a 90,000-character one was decoded, handed to
 * the search engine's validation and returned whole in the error.
 */
export const MAX_CURSOR_LENGTH = 1_024;

export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  if (cursor.length > MAX_CURSOR_LENGTH) throw badInput("The cursor is not valid; use a cursor from a previous page", { field: "after" });
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (isValid(value)) return value;
  } catch {
    // fall through to the coded error
  }
  throw badInput("The cursor is not valid; use a cursor from a previous page", { field: "after", cursor });
}

/**
 * Validates a page size: at least 1, at most `max`. The refusal names the argument (`field`,
 * as every other refused argument does) and the most it takes (`limit`), so a client can fix it.
 */
export function pageSize(first: number | null | undefined, { fallback = 20, max = 100 } = {}): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badInput(`first must be between 1 and ${max}`, { field: "first", first, limit: max });
  }
  return value;
}
