import type { Identity } from "#kernel";

/** Per-request state of the gateway: who calls, and the request id forwarded to subgraphs. */
export interface GatewayContext {
  requestId: string;
  identity?: Identity;
}
