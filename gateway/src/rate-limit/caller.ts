import type { Identity } from "#kernel";

/**
 * Who a request's budgets are charged to. `key` is the caller: the user when the request is
 * signed in, else its network. `network` is always the client's network (an IPv4 address, an
 * IPv6 /64; see clientAddress), whatever token came with the request.
 *
 * A signed-in identity costs nothing to make (sign-up needs no proof of anything), so a budget
 * keyed by it alone is multiplied by rotating accounts. Hence two rules, applied by every
 * transport through this one type: budgets of operations that create or authenticate
 * identities are charged to `network` only, and every per-caller budget also draws on a
 * ceiling per network (a multiple of it) that no number of accounts raises.
 */
export interface Caller {
  key: string;
  network: string;
}

/** `network` is what clientAddress gives: a network already, never one address of a /64. */
export function callerOf(identity: Pick<Identity, "userId"> | undefined, network: string): Caller {
  return { key: identity ? `user:${identity.userId}` : `ip:${network}`, network: `ip:${network}` };
}
