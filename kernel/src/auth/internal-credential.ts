import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import type { Identity } from "./identity.js";

/**
 * The gateway forwards the verified caller to subgraphs in one signed header. Subgraphs
 * trust only this header, so calling a subgraph directly cannot forge an identity. Each header
 * names the one server it is for (`aud`): one read on its way to a subgraph (a proxy's log, a
 * subgraph that was broken into) opens no other subgraph to its bearer, for the caller it names.
 * HMAC rather than a JWT: it is verified on every subgraph request of every query, and
 * both ends share the secret anyway.
 */
export const INTERNAL_HEADER = "x-storefront-internal";

export interface InternalClaims {
  /** The server the header is for, by its subgraph name ("payments"); every other refuses it. */
  aud: string;
  identity?: Identity;
  requestId: string;
  /** The end client's network address as the gateway saw it (per-address throttles). */
  clientAddress?: string;
  /**
   * The anonymous cart of a caller that sent a valid `X-Cart-Token`: the token's hash, never
   * the token (guest-cart-token.ts). With an identity, the customer's own cart wins; the guest
   * cart then only names what logIn/signUp merge into the customer's cart.
   */
  guestCartId?: string;
  /** Expiry, epoch milliseconds: a captured header is useless a minute later. */
  exp: number;
}

const VALIDITY_MS = 60_000;

export function signInternalCredential(
  secret: string,
  claims: Omit<InternalClaims, "exp">,
  now = Date.now(),
): string {
  const payload = Buffer.from(JSON.stringify({ ...claims, exp: now + VALIDITY_MS })).toString("base64url");
  return `v1.${payload}.${mac(secret, payload)}`;
}

/**
 * One anonymous credential for a caller that is the platform itself rather than a client's
 * request (the gateway fetching images from products): signed again once half its validity has
 * passed, so each call does not sign its own. It names no identity and so grants nothing; a
 * server that checks it learns only that the socket is the platform's (`vouchForSocket`).
 */
export function renewedPlatformCredential(secret: string, requestId: string, audience: string, clock: () => number = Date.now): () => string {
  let signed: { header: string; at: number } | undefined;
  return () => {
    const now = clock();
    if (!signed || now - signed.at >= VALIDITY_MS / 2) signed = { header: signInternalCredential(secret, { aud: audience, requestId }, now), at: now };
    return signed.header;
  };
}

/** Returns the claims, or undefined when the header is missing, forged or expired (its audience is the caller's to check). */
export function verifyInternalCredential(
  secret: string,
  header: string | undefined,
  now = Date.now(),
): InternalClaims | undefined {
  if (!header) return undefined;
  const [version, payload, signature] = header.split(".");
  if (version !== "v1" || !payload || !signature) return undefined;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as InternalClaims;
    return typeof claims.exp === "number" && claims.exp > now && typeof claims.aud === "string" ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** The secret last signed or verified with, imported once as a key (a process has one). */
let imported: { secret: string; key: KeyObject } | undefined;

/**
 * HMAC-SHA-256 of `payload` under `secret`, the key imported once: given the secret's text, node
 * imported it as a new key on every call (the gateway signs once per client request, a subgraph
 * verifies once per call), about a fifth of each HMAC's CPU.
 */
function mac(secret: string, payload: string): string {
  if (imported?.secret !== secret) imported = { secret, key: createSecretKey(Buffer.from(secret, "utf8")) };
  return createHmac("sha256", imported.key).update(payload).digest("base64url");
}
