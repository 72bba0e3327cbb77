import { GraphQLError, type DocumentNode, type ExecutionResult, type FieldNode } from "graphql";
import { ErrorCode } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { subscriptionToQuery, STATUS_PROBE_ALIAS } from "./subscription-to-query.js";
import { createAsyncQueue } from "./async-signal-queue.js";
import type { OrderStatusFeed } from "./order-status-feed.js";
import type { ExecuteThroughGateway } from "./graphql-websocket.js";
import type { SubscriptionTrace } from "./websocket-spans.js";
import type { TraceCarrier } from "#kernel/observability/tracing-context.js";

// The orders subgraph's final statuses (see its state machine): a DELIVERED order may still be
// returned and refunded, so the stream follows it on.
const FINAL_STATUSES = new Set(["CANCELLED", "PAYMENT_FAILED", "REFUNDED"]);

/** A subscription the gateway can serve: the query to re-run and the order it follows. */
export interface LiveOrderPlan {
  query: DocumentNode;
  orderId: string;
}

/** Plans `orderStatusChanged`, or says why the subscription cannot be served. */
export function planLiveOrder(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): LiveOrderPlan | { error: string } {
  const rewritten = subscriptionToQuery(document, operationName);
  if ("error" in rewritten) return rewritten;
  const orderId = argumentValue(rewritten.field, "orderId", variables);
  if (typeof orderId !== "string") return { error: "orderId is required" };
  return { query: rewritten.query, orderId };
}

function argumentValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const value = field.arguments?.find((a) => a.name.value === name)?.value;
  if (value?.kind === "Variable") return variables[value.name.value];
  if (value?.kind === "StringValue") return value.value;
  return undefined;
}

/**
 * The live results of one `orderStatusChanged` subscription: the order's current state at
 * once, then the client's selection re-run through the gateway on every status change, until
 * a final status. Only the owner gets anything: the query runs as the subscriber and
 * `order(id)` hides other users' orders.
 *
 * Stopping (`return`, when the client completes or the socket closes) takes effect at once,
 * even while the stream waits for the next change: an async generator would only see the
 * request at its next `yield`, holding the listener and the customer's subscription slot
 * until the order changed again.
 */
export function liveOrderResults(options: {
  plan: LiveOrderPlan;
  variables: Record<string, unknown>;
  context: GatewayContext;
  feed: OrderStatusFeed;
  execute: ExecuteThroughGateway;
  /** Spans of the first answer and of each update (see websocket-spans.ts). */
  trace: SubscriptionTrace & { first(work: () => Promise<ExecutionResult>): Promise<ExecutionResult> };
}): AsyncGenerator<ExecutionResult> {
  const { plan, variables, context } = options;
  const changes = createAsyncQueue<{ cause: TraceCarrier | undefined }>();
  // Listen before the first read, so a change landing in between is not lost.
  const stopListening = options.feed.listen(plan.orderId, (_change, cause) => changes.push({ cause }));
  const stop = () => {
    stopListening();
    changes.close();
  };

  async function* results(): AsyncGenerator<ExecutionResult> {
    try {
      let lastSent = "";
      let cause: { cause: TraceCarrier | undefined } | undefined;
      for (;;) {
        const read = () => options.execute({ query: plan.query, variables }, { ...context, requestId: `${context.requestId}:${Date.now()}` });
        const result = await (cause ? options.trace.update(cause.cause, read) : options.trace.first(read));
        const order = (result.data as Record<string, Record<string, unknown> | null> | undefined)?.orderStatusChanged;
        if (!order) {
          yield result.errors?.length
            ? { errors: result.errors }
            : { errors: [new GraphQLError(`Order ${plan.orderId} was not found`, { extensions: { code: ErrorCode.NOT_FOUND } })] };
          return;
        }
        const status = order[STATUS_PROBE_ALIAS];
        delete order[STATUS_PROBE_ALIAS];
        const serialized = JSON.stringify(result);
        if (serialized !== lastSent) {
          lastSent = serialized;
          yield result;
        }
        if (typeof status === "string" && FINAL_STATUSES.has(status)) return;
        if ((cause = await changes.next()) === undefined) return;
      }
    } finally {
      stop();
    }
  }

  const stream = results();
  const stoppable: AsyncGenerator<ExecutionResult> = {
    next: (...args) => stream.next(...args),
    return: (value) => {
      stop();
      return stream.return(value);
    },
    throw: (error) => {
      stop();
      return stream.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return stoppable;
}
