import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { Kind, type DocumentNode } from "graphql";
import { Counter, Histogram } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";
import { errorCodeLabel, operationLabel } from "./metrics-labels.js";

const operations = new Counter({
  name: "storefront_graphql_operations_total",
  help: "GraphQL operations answered, by server (gateway or subgraph), operation name, kind and outcome (ok, or error when the answer carries errors).",
  labelNames: ["server", "operation", "kind", "outcome"] as const,
  registers: [metricsRegistry],
});

const duration = new Histogram({
  name: "storefront_graphql_operation_duration_seconds",
  help: "Time from receiving a GraphQL operation to sending its answer, by server and operation name.",
  labelNames: ["server", "operation", "kind"] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

const errors = new Counter({
  name: "storefront_graphql_errors_total",
  help: "Errors in GraphQL answers, by server, operation name and extensions.code.",
  labelNames: ["server", "operation", "code"] as const,
  registers: [metricsRegistry],
});

/**
 * Counts every operation an Apollo server answers (HTTP and, on the gateway, WebSocket alike,
 * since both run through the same server), with its latency and error codes. Requests the
 * gateway refuses before Apollo sees them (rate limits, size) are counted by their own metrics.
 */
export function graphqlMetricsPlugin<TContext extends BaseContext>(server: string): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const startedAt = performance.now();
      return {
        async willSendResponse(requestContext) {
          const name = requestContext.operationName ?? requestContext.request.operationName ?? onlyOperationName(requestContext.document);
          recordGraphQLOperation(server, name, requestContext.operation?.operation ?? "unknown", requestContext.errors ?? [], startedAt);
        },
      };
    },
  };
}

/**
 * Counts one answered operation (`startedAt` from `performance.now()` when it was received):
 * the plugin's record, and that of a subgraph's prepared queries, which answer without Apollo's hooks.
 */
export function recordGraphQLOperation(server: string, name: string | null | undefined, kind: string, failed: readonly { extensions?: Readonly<Record<string, unknown>> }[], startedAt: number): void {
  const operation = operationLabel(server, name);
  for (const error of failed) errors.inc({ server, operation, code: errorCodeLabel(error.extensions?.code) });
  operations.inc({ server, operation, kind, outcome: failed.length ? "error" : "ok" });
  duration.observe({ server, operation, kind }, (performance.now() - startedAt) / 1000);
}

/** A document's operation name when it has one operation, for answers that failed before it was chosen. */
function onlyOperationName(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 && operations[0]!.kind === Kind.OPERATION_DEFINITION ? operations[0]!.name?.value : undefined;
}
