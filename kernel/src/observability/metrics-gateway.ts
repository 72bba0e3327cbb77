import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";
import type { ConnectionRefusal } from "../http/guarded-server.js";

const subgraphCalls = new Histogram({
  name: "storefront_gateway_subgraph_request_duration_seconds",
  help: "Gateway calls to a subgraph (one fetch of a query plan), by subgraph and outcome (ok, error: answered with GraphQL errors, failed: no answer, abandoned: dropped because the client went away).",
  labelNames: ["subgraph", "outcome"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

const httpResponses = new Counter({
  name: "storefront_gateway_http_responses_total",
  help: "HTTP responses of the gateway by route (graphql, healthz, readyz, metrics, images, explorer, shop, other) and status code: refusals before execution (400, 401, 413, 429) show here, not as operations.",
  labelNames: ["route", "status"] as const,
  registers: [metricsRegistry],
});

const ROUTES = new Set(["graphql", "healthz", "readyz", "metrics", "images", "explorer", "shop"]);

const refusals = new Counter({
  name: "storefront_rate_limit_refusals_total",
  help: "Requests refused as RATE_LIMITED, by the budget that ran out: the gateway's (general, auth, checkout, search, views, websocket_operations, websocket_subscriptions) and the accounts subgraph's throttles (login_failures, account_mail).",
  labelNames: ["budget"] as const,
  registers: [metricsRegistry],
});

const refusedConnections = new Counter({
  name: "storefront_gateway_connections_refused_total",
  help: "Sockets the gateway closed as soon as it accepted them: server_full (GATEWAY_MAX_CONNECTIONS open) or client_full (the client network held GATEWAY_MAX_CONNECTIONS_PER_CLIENT) or client_churn (it opened GATEWAY_NEW_CONNECTIONS_PER_MINUTE new sockets in the last minute), or client_pipelining (a socket closed once it pipelined more than 8 requests).",
  labelNames: ["reason"] as const,
  registers: [metricsRegistry],
});

const websocketConnections = new Gauge({
  name: "storefront_websocket_connections",
  help: "Open graphql-ws connections on the gateways of this process.",
  registers: [metricsRegistry],
});

const websocketSubscriptions = new Gauge({
  name: "storefront_websocket_subscriptions",
  help: "Live subscriptions (orderStatusChanged) running on the gateways of this process.",
  registers: [metricsRegistry],
});

/**
 * Times every fetch of a gateway data source: `ok`, `error` when the subgraph answered with
 * GraphQL errors, `failed` when no answer came (connection refused, timeout, HTTP error),
 * `abandoned` when the gateway stopped waiting because its client went away.
 */
export function timeSubgraphCalls<TSource extends { process(options: never): Promise<{ errors?: readonly unknown[] | null }> }>(subgraph: string, source: TSource): TSource {
  const process = source.process.bind(source) as (options: never) => Promise<{ errors?: readonly unknown[] | null }>;
  source.process = (async (options: never) => {
    const end = subgraphCalls.startTimer({ subgraph });
    try {
      const response = await process(options);
      end({ outcome: response.errors?.length ? "error" : "ok" });
      return response;
    } catch (error) {
      // A call dropped because its client went away says nothing of the subgraph's health.
      const abandoned = (options as { context?: { signal?: AbortSignal } }).context?.signal?.aborted === true && (error as Error | undefined)?.name === "AbortError";
      end({ outcome: abandoned ? "abandoned" : "failed" });
      throw error;
    }
  }) as TSource["process"];
  return source;
}

/** Counts the response once it is sent; the route is the path's first segment when it is one of ours. */
export function countGatewayResponse(req: IncomingMessage, res: ServerResponse): void {
  const first = (req.url ?? "/").split("?")[0]!.split("/")[1] ?? "";
  const route = ROUTES.has(first) ? first : "other";
  res.once("finish", () => httpResponses.inc({ route, status: String(res.statusCode) }));
}

export function countRefusedConnection(reason: ConnectionRefusal): void {
  refusedConnections.inc({ reason });
}

export function countRateLimitRefusal(budget: string): void {
  refusals.inc({ budget });
}

/** A WebSocket connection got its slot; the returned function gives it back (once). */
export function countWebSocketConnection(): () => void {
  websocketConnections.inc();
  let open = true;
  return () => {
    if (open) websocketConnections.dec();
    open = false;
  };
}

export function countWebSocketSubscription(change: 1 | -1): void {
  websocketSubscriptions.inc(change);
}

const strangerSocketsClosed = new Counter({
  name: "storefront_stranger_sockets_closed_total",
  help: "Sockets a server closed because their client network held 64 others no signed request had vouched for (a subgraph's port reached by someone other than the platform), by server.",
  labelNames: ["server"] as const,
  registers: [metricsRegistry],
});

export function countStrangerSocketClosed(server: string): void {
  strangerSocketsClosed.inc({ server });
}
