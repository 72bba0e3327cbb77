import { forbidden, requireUser, type RequestContext } from "#kernel";

/** Internal operations: only another subgraph (signed service identity) may call them. */
export function requireService(ctx: RequestContext): void {
  if (!requireUser(ctx).roles.includes("service")) throw forbidden("This operation is internal to the platform");
}
