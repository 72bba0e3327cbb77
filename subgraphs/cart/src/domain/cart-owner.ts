import { forbidden, unauthenticated, type RequestContext } from "#kernel";

/**
 * Whose cart a request acts on: the one "current cart owner" path every cart operation (and
 * every cart feature built on them) goes through.
 * - A signed-in customer's cart is keyed by their user id, as always; a cart token sent along
 *   is ignored here (logIn/signUp merge it).
 * - A guest's cart is keyed by `guest:` and the hash the gateway derived from a valid
 *   `X-Cart-Token`, so a token only ever reaches its own cart.
 * - Anyone else is UNAUTHENTICATED.
 */
export type CartOwner = string;

const GUEST_PREFIX = "guest:";

export const guestCartOwner = (guestCartId: string): CartOwner => `${GUEST_PREFIX}${guestCartId}`;

export const isGuestOwner = (owner: CartOwner): boolean => owner.startsWith(GUEST_PREFIX);

export function cartOwnerOf(ctx: Pick<RequestContext, "identity" | "guestCartId">): CartOwner {
  if (ctx.identity) {
    // Outside production the gateway accepts tokens for made-up users: a subject shaped like a
    // guest key must not open that guest's cart.
    if (isGuestOwner(ctx.identity.userId)) throw forbidden("This account cannot use a cart");
    return ctx.identity.userId;
  }
  if (ctx.guestCartId) return guestCartOwner(ctx.guestCartId);
  throw unauthenticated("Sign in, or send a cart token (X-Cart-Token from createGuestCart), to use a cart");
}
