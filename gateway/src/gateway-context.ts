import type { Identity } from "#kernel";
import type { Caller } from "./rate-limit/caller.js";
import type { CostSettling } from "./security/cost-settlement-plugin.js";
import type { PlanningTimes } from "./execution/planning-time.js";

/** Per-request state of the gateway: who calls, and the request id forwarded to subgraphs. */
export interface GatewayContext extends CostSettling {
  requestId: string;
  identity?: Identity;
  /** Whom the rate limits charge: the user when signed in, else the client network; and that network. */
  caller: Caller;
  /** The client's address, forwarded so subgraphs can throttle per address (logins). */
  clientAddress?: string;
  /** The anonymous cart named by a valid `X-Cart-Token` (its hash), forwarded signed. */
  guestCartId?: string;
  /** Aborts when the client went away before its answer: subgraph calls still running are dropped. */
  signal?: AbortSignal;
  /**
   * What planning this request's operations took, for settling their planning deposits: made
   * with the context, so the copies Apollo Server runs each operation on share it.
   */
  planning?: PlanningTimes;
  /**
   * Called once the request policy has admitted an HTTP request's operations (their general
   * budget counted them): the request gives back its point of the other requests' budget.
   */
  admitted?: () => void;
}
