import type { AccountsContext } from "../subgraph-context.js";
import type { Session } from "../domain/account.service.js";

/**
 * The guest cart hook of logIn and signUp: when the request carried a valid cart token (the
 * gateway's signed guestCartId), the guest cart goes into the customer's cart before the
 * session is returned, so the client's next cart read shows it merged. A merge that fails
 * (the cart subgraph unreachable) does not fail the sign-in: the guest cart is left as it
 * was, and a later logIn with the same token merges it.
 */
export async function mergeGuestCart(ctx: AccountsContext, session: Session): Promise<Session> {
  if (!ctx.guestCartId || !ctx.guestCarts) return session;
  try {
    const merged = await ctx.guestCarts.merge({ customerId: session.user.id, guestCartId: ctx.guestCartId, requestId: ctx.requestId });
    ctx.logger.info("guest_cart_merged", { userId: session.user.id, ...merged });
  } catch (error) {
    ctx.logger.warn("guest_cart_merge_failed", { userId: session.user.id, error: error instanceof Error ? error.message : String(error) });
  }
  return session;
}
