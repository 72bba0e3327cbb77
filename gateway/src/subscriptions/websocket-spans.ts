import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span } from "@opentelemetry/api";
import type { ExecutionResult } from "graphql";
import { contextFromCarrier, tracingEnabled, type TraceCarrier } from "#kernel/observability/tracing-context.js";

const tracer = () => trace.getTracer("storefront-gateway-websocket");

/** What a WebSocket operation's spans say about it: its type and name, never its variables. */
export interface TracedOperation {
  type: "query" | "mutation" | "subscription";
  name: string | undefined;
}

/**
 * Traces over graphql-ws what the HTTP path traces per request. An operation over a socket has
 * no HTTP request of its own (the upgrade was one request for the whole connection), so each
 * operation gets a server span named as the HTTP ones are (`gateway query Product`), with the
 * gateway's plan and subgraph calls under it. A subscription gets a server span for its start
 * (admission, the first answer) and one span per update it pushes, in the subscription's trace
 * and linked to the trace of the order-status event that caused it, so an update can be
 * followed back to the checkout or payment behind it. Variables, the token and the
 * connection's parameters are never recorded. Off, each call is one boolean test.
 */
export function traceOperation(operation: TracedOperation, work: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
  if (!tracingEnabled()) return work();
  const span = tracer().startSpan(spanName(operation), { kind: SpanKind.SERVER, attributes: attributesOf(operation) }, ROOT_CONTEXT);
  return runIn(span, operation, work);
}

/** A started subscription: its updates are traced under it until it ends. */
export interface SubscriptionTrace {
  /** Runs the work behind one pushed update; `cause` is the trace the triggering event carried. */
  update(cause: TraceCarrier | undefined, work: () => Promise<ExecutionResult>): Promise<ExecutionResult>;
}

/**
 * The subscription's start span (admission to the first answer), and a handle that traces each
 * later update. The start span ends with the first answer, so it is exported at once however
 * long the client then follows the order.
 */
export function traceSubscription(operation: TracedOperation): SubscriptionTrace & { first(work: () => Promise<ExecutionResult>): Promise<ExecutionResult> } {
  if (!tracingEnabled()) return { first: (work) => work(), update: (_cause, work) => work() };
  const start = tracer().startSpan(spanName(operation), { kind: SpanKind.SERVER, attributes: attributesOf(operation) }, ROOT_CONTEXT);
  const parent = trace.setSpan(ROOT_CONTEXT, start);
  let updates = 0;
  return {
    first: (work) => runIn(start, operation, work),
    update: (cause, work) => {
      const caused = cause ? trace.getSpanContext(contextFromCarrier(cause)) : undefined;
      const links: Link[] = caused ? [{ context: caused, attributes: { "storefront.link": "order-status event" } }] : [];
      updates += 1;
      const span = tracer().startSpan(`${spanName(operation)} update`, { kind: SpanKind.INTERNAL, attributes: { ...attributesOf(operation), "storefront.subscription.update": updates }, links }, parent);
      return runIn(span, operation, work, `${spanName(operation)} update`);
    },
  };
}

async function runIn(span: Span, operation: TracedOperation, work: () => Promise<ExecutionResult>, name = spanName(operation)): Promise<ExecutionResult> {
  try {
    const result = await context.with(trace.setSpan(ROOT_CONTEXT, span), work);
    const code = result.errors?.[0]?.extensions?.code;
    if (code !== undefined) span.setAttribute("graphql.error.code", String(code));
    return result;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    // The gateway's operation plugin names whatever span is active after the operation it
    // executes (for a subscription's re-run, a query): the socket's own name and type win.
    span.updateName(name);
    span.setAttributes(attributesOf(operation));
    span.end();
  }
}

function spanName({ type, name }: TracedOperation): string {
  return `gateway ${type} ${name ?? "anonymous"}`;
}

function attributesOf({ type, name }: TracedOperation) {
  return {
    "storefront.service": "gateway",
    "graphql.operation.type": type,
    "graphql.operation.name": name ?? "anonymous",
    "network.protocol.name": "websocket",
  };
}
