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

export function requireAdmin(ctx: RequestContext): Identity {
  const identity = requireUser(ctx);
  if (!identity.roles.includes("admin")) throw forbidden("This operation needs the admin role");
  return identity;
}
