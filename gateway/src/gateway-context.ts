import type { Identity } from "#kernel";

/** Per-request state of the gateway: who calls, and the request id forwarded to subgraphs. */
export interface GatewayContext {
  requestId: string;
  identity?: Identity;
  /** The rate-limit key: the user when signed in, else the client address. */
  callerKey: string;
  /** The client's address, forwarded so subgraphs can throttle per address (logins). */
  clientAddress?: string;
  /** The anonymous cart named by a valid `X-Cart-Token` (its hash), forwarded signed. */
  guestCartId?: string;
  /** Aborts when the client went away before its answer: subgraph calls still running are dropped. */
  signal?: AbortSignal;
}
