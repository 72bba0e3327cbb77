import { Agent, type Dispatcher } from "undici";
import { GraphQLError } from "graphql";
import { INTERNAL_HEADER, signInternalCredential } from "../auth/internal-credential.js";
import type { Identity } from "../auth/identity.js";
import { DependencyFailed, DomainError, withoutStack } from "../errors/domain-error.js";
import { ErrorCode, isPublicErrorCode } from "../errors/error-codes.js";
import { replicaUrls, ReplicaSet, sendToAReplica } from "../http/replica-set.js";

export interface SubgraphRequestOptions {
  /** Acts on behalf of this caller; omitted means the calling service itself. */
  identity?: Identity;
  requestId?: string;
  timeoutMs?: number;
}

/**
 * Calls another subgraph directly (service to service), signed like the gateway signs, over
 * a keep-alive connection pool. Coded errors from the callee are rethrown with their code,
 * so a callee's OUT_OF_STOCK reaches the client as OUT_OF_STOCK; anything else becomes
 * SERVICE_UNAVAILABLE.
 *
 * `url` may list replicas, comma separated (see ReplicaSet): a request that could not connect
 * goes to another replica, and so does a query whose connection was lost; a mutation that may
 * have arrived is never resent here (its caller retries under its idempotency key).
 */
export function createSubgraphClient(options: {
  url: string;
  /** The subgraph `url` serves, by name ("inventory"): its signed header is for it alone. */
  audience: string;
  internalSecret: string;
  serviceName: string;
  connections?: number;
}) {
  const dispatcher = new Agent({ connections: options.connections ?? 32, keepAliveTimeout: 60_000 });
  const replicas = new ReplicaSet({ name: options.url, urls: replicaUrls(options.url) }).start();
  const serviceIdentity: Identity = { userId: `service:${options.serviceName}`, roles: ["service"] };
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      targets.set(url, target);
    }
    return target;
  };
  return {
    async request<TData>(query: string, variables: Record<string, unknown> = {}, request: SubgraphRequestOptions = {}): Promise<TData> {
      let response: Dispatcher.ResponseData;
      try {
        // Dispatcher.request, not fetch: the same exchange without WHATWG Request, Headers,
        // Response and body streams, which cost several times the exchange's own CPU.
        response = await sendToAReplica(replicas, !/^\s*mutation\b/.test(query), (replica) =>
          dispatcher.request({
            ...targetOf(replica.url),
            method: "POST",
            headers: {
              "content-type": "application/json",
              [INTERNAL_HEADER]: signInternalCredential(options.internalSecret, {
                aud: options.audience,
                identity: request.identity ?? serviceIdentity,
                requestId: request.requestId ?? "internal",
              }),
            },
            body: JSON.stringify({ query, variables }),
            signal: AbortSignal.timeout(request.timeoutMs ?? 5000),
          }),
        );
      } catch (error) {
        // The transport's reason (addresses, socket errors) stays out of the response: it
        // travels as the error's cause, which the formatter logs.
        const unavailable = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry");
        unavailable.cause = error;
        throw unavailable;
      }
      const body = (await response.body.json().catch(() => ({}))) as { data?: TData; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      const first = body.errors?.[0];
      if (first) {
        const code = first.extensions?.code;
        if (isPublicErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
          const { code: _code, ...details } = first.extensions ?? {};
          throw withoutStack(() => new GraphQLError(first.message, { extensions: { code, ...details } }));
        }
        // The callee failed unexpectedly (its INTERNAL_SERVER_ERROR, or an unknown code): not an
        // outage, so an event handler must not wait on it for ever.
        throw new DependencyFailed();
      }
      if (!body.data) {
        // No GraphQL answer at all: a proxy's or a restarting process's 5xx is an outage; a 2xx
        // without data is the callee's fault.
        if (response.statusCode >= 500) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry");
        throw new DependencyFailed("A service this operation needs gave no answer");
      }
      return body.data;
    },
    close: () => {
      replicas.stop();
      return dispatcher.close();
    },
  };
}

export type SubgraphClient = ReturnType<typeof createSubgraphClient>;
