import { readFileSync } from "node:fs";
import { INTERNAL_HEADER, signInternalCredential, timeSubgraphCalls } from "#kernel";
import type { ReplicaSet } from "#kernel/http/replica-set.ts";
import type { GatewayContext } from "./gateway-context.js";
import { PooledGraphQLDataSource } from "./performance/pooled-data-source.js";
import { PreparedGateway, type PlanExecutor } from "./execution/prepared-gateway.js";

/**
 * The federation gateway on the checked-in supergraph (static composition: no polling, no
 * managed federation). Every subgraph request carries the caller's verified identity in a
 * signed header, which is the only identity subgraphs accept.
 */
export function createSupergraphGateway(options: {
  supergraphPath: string;
  subgraphUrls: Record<string, string>;
  /** Each subgraph's replicas, health-checked; a subgraph without one gets its URL's. */
  replicas?: Record<string, ReplicaSet>;
  internalSecret: string;
  /** Keep-alive connections per subgraph. */
  subgraphConnections: number;
  /** Deadline of one subgraph call. */
  subgraphTimeoutMs: number;
  /** How long a subgraph call may wait for a pooled connection before it is refused OVERLOADED, unsent. */
  subgraphQueueMs: number;
  /** What runs a prepared operation's plan (GATEWAY_PLAN_EXECUTOR). */
  planExecutor?: PlanExecutor;
}): { gateway: PreparedGateway; supergraphSdl: string; close(): Promise<void> } {
  const supergraphSdl = readFileSync(options.supergraphPath, "utf8");
  const sources: PooledGraphQLDataSource[] = [];
  // One signature per client request and subgraph, shared by the request's calls to it (it is
  // valid 60 s): signing per call was a measurable share of the gateway's CPU. Per subgraph, as
  // each header names the one it is for: read on its way to products, it opens no payments.
  const credentials = new WeakMap<GatewayContext, Map<string, string>>();
  const credentialFor = (context: GatewayContext, subgraph: string) => {
    let signed = credentials.get(context);
    if (!signed) credentials.set(context, (signed = new Map()));
    let credential = signed.get(subgraph);
    if (!credential) {
      credential = signInternalCredential(options.internalSecret, {
        aud: subgraph,
        identity: context.identity,
        requestId: context.requestId,
        clientAddress: context.clientAddress,
        guestCartId: context.guestCartId,
      });
      signed.set(subgraph, credential);
    }
    return credential;
  };
  const gateway = new PreparedGateway(supergraphSdl, ({ name, url }) => {
      const source = new PooledGraphQLDataSource({
        url: options.subgraphUrls[name] ?? url!,
        replicas: options.replicas?.[name],
        connections: options.subgraphConnections,
        timeoutMs: options.subgraphTimeoutMs,
        queueMs: options.subgraphQueueMs,
        headersFor: (context) => ({ [INTERNAL_HEADER]: credentialFor(context, name) }),
      });
      sources.push(source);
      return timeSubgraphCalls(name, source);
  }, { executor: options.planExecutor });
  return {
    gateway,
    supergraphSdl,
    async close() {
      await Promise.all(sources.map((source) => source.close()));
    },
  };
}
