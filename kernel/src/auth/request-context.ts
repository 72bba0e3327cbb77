import type { Identity } from "./identity.js";
import type { Logger } from "../logging/logger.js";
import { unauthenticated, forbidden } from "../errors/domain-error.js";

/** What every resolver receives: who asks, which request this is, and its logger. */
export interface RequestContext {
  requestId: string;
  identity?: Identity;
  /** The end client's address, when the gateway forwarded it. */
  clientAddress?: string;
  /** The caller's anonymous cart (a hash of its cart token), when the gateway verified one. */
  guestCartId?: string;
  logger: Logger;
}

export function requireUser(ctx: RequestContext): Identity {
  if (!ctx.identity) throw unauthenticated();
  return ctx.identity;
}

/** Said to a signed-in caller without the admin role: what it lacks and what to do about it. */
export const NEEDS_ADMIN_MESSAGE = "This operation needs the admin role: sign in with an account that has the admin role (this account does not) and send its access token";

export function requireAdmin(ctx: RequestContext): Identity {
  const identity = requireUser(ctx);
  if (!identity.roles.includes("admin")) throw forbidden(NEEDS_ADMIN_MESSAGE);
  return identity;
}
