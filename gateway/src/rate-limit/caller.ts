import { siteOf, type Identity } from "#kernel";

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
  /**
   * The IPv6 /48 site of `network` (`ip:2001:db8:1::/48`), whose networks draw together on every
   * per-network budget (see NETWORKS_PER_SITE); undefined for a network without one (IPv4).
   * Worked out once per request, carried to every budget charged and refunded.
   */
  site: string | undefined;
}

/** A key of one budget, and the site key it also draws on (none for a user, an IPv4 network). */
export interface BudgetKey {
  key: string;
  site: string | undefined;
}

/** `network` is what clientAddress gives: a network already, never one address of a /64. */
export function callerOf(identity: Pick<Identity, "userId"> | undefined, network: string): Caller {
  const site = siteOf(network);
  return { key: identity ? `user:${identity.userId}` : `ip:${network}`, network: `ip:${network}`, site: site === undefined ? undefined : `ip:${site}` };
}

/** The caller's own budget: a user's alone, an anonymous caller's (its network's) with its site. */
export const ownBudget = (caller: Caller): BudgetKey => ({ key: caller.key, site: caller.key === caller.network ? caller.site : undefined });

/** The caller's network's budget (under `prefix`, as a guests' pool), with its site under the same prefix. */
export const networkBudget = (caller: Caller, prefix = ""): BudgetKey => ({ key: `${prefix}${caller.network}`, site: caller.site === undefined ? undefined : `${prefix}${caller.site}` });
