import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The anonymous cart token: what lets a shopper without an account keep a cart. Clients send
 * it in the `X-Cart-Token` header; the gateway checks it and forwards only the cart id derived
 * from it inside the signed internal credential, so no subgraph ever reads a raw token.
 *
 * Issued by the server (`createGuestCart`), as Shopify (`cartCreate`), Saleor
 * (`checkoutCreate`), Medusa (`POST /store/carts`) and Vendure (a session token in a response
 * header) do, rather than made up by the client: the server guarantees the token's 256 bits of
 * entropy, so a client with a weak random source or a copied example value cannot land in
 * another shopper's cart, and the token carries a MAC, so the gateway refuses guessed or
 * forged tokens without a database read.
 *
 * Shape: `gc1.<43 base64url chars: 32 random bytes>.<22 base64url chars: 128-bit MAC>`.
 */
export const CART_TOKEN_HEADER = "x-cart-token";

/** Anything longer is refused before it is looked at (a hostile header cannot cost more). */
export const MAX_CART_TOKEN_LENGTH = 256;

const SHAPE = /^gc1\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

/** Why a token was refused; the gateway turns each into a BAD_USER_INPUT naming the header. */
export type CartTokenProblem = "oversized" | "malformed" | "forged";

export type CartTokenReading = { cartId: string } | { problem: CartTokenProblem };

/** A new token, signed with a key derived from the internal secret. */
export function issueGuestCartToken(internalSecret: string): string {
  const random = randomBytes(32).toString("base64url");
  return `gc1.${random}.${mac(internalSecret, random)}`;
}

/**
 * Checks a token's length, shape and MAC (in that order, each cheap) and returns the guest
 * cart id derived from it: the SHA-256 of the whole token. Carts are stored under that hash,
 * so a database read never yields a working token.
 */
export function readGuestCartToken(internalSecret: string, token: string): CartTokenReading {
  if (token.length > MAX_CART_TOKEN_LENGTH) return { problem: "oversized" };
  const shape = SHAPE.exec(token);
  if (!shape) return { problem: "malformed" };
  const expected = Buffer.from(mac(internalSecret, shape[1]!));
  const given = Buffer.from(shape[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { problem: "forged" };
  return { cartId: guestCartIdOf(token) };
}

/** The id a guest cart is stored under: the token's SHA-256, base64url (43 characters). */
export function guestCartIdOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A guest cart id as the gateway derives it; anything else in a credential is ignored. */
export const isGuestCartId = (value: unknown): value is string => typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);

// A key of its own, derived from the internal secret: a token MAC is never a valid credential
// MAC, nor the other way round. Derived once per secret (a process has one or two).
const derivedKeys = new Map<string, Buffer>();

function mac(internalSecret: string, random: string): string {
  let key = derivedKeys.get(internalSecret);
  if (!key) {
    key = createHmac("sha256", internalSecret).update("guest-cart-token-v1").digest();
    derivedKeys.set(internalSecret, key);
  }
  return createHmac("sha256", key).update(random).digest().subarray(0, 16).toString("base64url");
}
