import type { IncomingHttpHeaders } from "node:http";
import { CART_TOKEN_HEADER, readGuestCartToken, type CartTokenProblem } from "#kernel";

/** A cart token header the gateway refuses: answered 400 BAD_USER_INPUT naming the header. */
export class InvalidCartTokenError extends Error {
  constructor(readonly problem: CartTokenProblem) {
    super(
      problem === "forged"
        ? "The X-Cart-Token header is not a cart token this store issued; drop it and call createGuestCart for a new one"
        : problem === "oversized"
          ? "The X-Cart-Token header is too long to be a cart token"
          : "The X-Cart-Token header is not a well-formed cart token; drop it and call createGuestCart for a new one",
    );
  }
}

/**
 * The guest cart id of a request's `X-Cart-Token`, or undefined without one. A present but
 * bad token is refused rather than ignored, as a bad access token is: a client that silently
 * lost its cart would show an empty one. Repeated headers arrive joined with ", " and so
 * are malformed too.
 */
export function guestCartIdOfRequest(headers: IncomingHttpHeaders, internalSecret: string): string | undefined {
  const raw = headers[CART_TOKEN_HEADER];
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  if (value === undefined || value === "") return undefined;
  const reading = readGuestCartToken(internalSecret, value.trim());
  if ("problem" in reading) throw new InvalidCartTokenError(reading.problem);
  return reading.cartId;
}
