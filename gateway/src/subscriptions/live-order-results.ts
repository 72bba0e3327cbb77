import { GraphQLError, type DocumentNode, type ExecutionResult, type FieldNode } from "graphql";
import { ErrorCode } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { subscriptionToQuery, STATUS_PROBE_ALIAS } from "./subscription-to-query.js";
import { createAsyncQueue, TIMED_OUT } from "./async-signal-queue.js";
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
 * Codes a re-read may fail with and later succeed: a subgraph down, overloaded or timing out,
 * a masked failure, a budget. Any other error (NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, ...) says
 * the order cannot be followed by this subscriber at all, and ends the stream.
 */
const TRANSIENT_CODES = new Set<string>([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.RATE_LIMITED]);

/**
 * How a re-read that failed, or answered in part with a transient error, is tried again: after `firstDelayMs`, doubled
 * each time up to `maxDelayMs`, and at once when the order changes meanwhile. The failure is
 * sent to the subscriber (with `extensions.retrying: true`) once it has failed
 * `reportAfterFailures` times in a row, so a short blip goes unseen and a long one is known.
 * The capped delay bounds what a long outage costs: one query per subscription every 5 s.
 */
export const LIVE_ORDER_RETRY = { firstDelayMs: 250, maxDelayMs: 5_000, reportAfterFailures: 3 };

const transientError = (error: { extensions?: Record<string, unknown> }) => TRANSIENT_CODES.has(String(error.extensions?.code));

const isTransient = (result: ExecutionResult) => !!result.errors?.length && result.errors.every(transientError);

/**
 * Whether a read is worth trying again: some of its errors may go away. An answer in part
 * whose errors are all permanent (a field the subscriber may not read, a nested NOT_FOUND)
 * would answer the same every time, so it is sent once and read again only on a change.
 */
const worthRetrying = (result: ExecutionResult) => !!result.errors?.some(transientError);

/**
 * The live results of one `orderStatusChanged` subscription: the order's current state at
 * once, then the client's selection re-run through the gateway on every status change, until
 * a final status. Only the owner gets anything: the query runs as the subscriber and
 * `order(id)` hides other users' orders.
 *
 * A transient failure never ends the stream: a re-read that fails (the orders subgraph down)
 * or answers in part with a transient error (payments down: the order with an error) is tried
 * again with backoff (LIVE_ORDER_RETRY) until it answers in full, so the status that changed
 * during an outage arrives once the subgraphs answer again. An answer in part whose errors are
 * all permanent is sent as it is and read again only on the order's next change. The stream ends only at a final status, when the
 * order cannot be read by this subscriber at all (NOT_FOUND and other non-transient codes),
 * or when the client stops it.
 *
 * Stopping (`return`, when the client completes or the socket closes) takes effect at once,
 * even while the stream waits for the next change or retry: an async generator would only see
 * the request at its next `yield`, holding the listener and the customer's subscription slot
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
  /** Overrides LIVE_ORDER_RETRY (tests). */
  retry?: typeof LIVE_ORDER_RETRY;
}): AsyncGenerator<ExecutionResult> {
  const { plan, variables, context } = options;
  const retry = options.retry ?? LIVE_ORDER_RETRY;
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
      let firstRead = true;
      let cause: TraceCarrier | undefined;
      let failures = 0;
      for (;;) {
        const read = () => options.execute({ query: plan.query, variables }, { ...context, requestId: `${context.requestId}:${Date.now()}` });
        const result = await (firstRead ? options.trace.first(read) : options.trace.update(cause, read));
        firstRead = false;
        const order = (result.data as Record<string, Record<string, unknown> | null> | undefined)?.orderStatusChanged;
        if (!order && !isTransient(result)) {
          yield result.errors?.length
            ? { errors: result.errors }
            : { errors: [new GraphQLError(`Order ${plan.orderId} was not found`, { extensions: { code: ErrorCode.NOT_FOUND } })] };
          return;
        }
        let update: ExecutionResult | undefined;
        if (order) {
          const status = order[STATUS_PROBE_ALIAS];
          delete order[STATUS_PROBE_ALIAS];
          update = result;
          if (typeof status === "string" && FINAL_STATUSES.has(status)) {
            yield result;
            return;
          }
        }
        failures = worthRetrying(result) ? failures + 1 : 0;
        // A read without the order is shown only once it has failed long enough to matter.
        if (!order && failures === retry.reportAfterFailures) update = { errors: result.errors!.map(retrying) };
        if (update) {
          const serialized = JSON.stringify(update);
          if (serialized !== lastSent) {
            lastSent = serialized;
            yield update;
          }
        }
        if (failures === 0) {
          const change = await changes.next();
          if (change === undefined) return;
          cause = change.cause;
        } else {
          const change = await changes.nextWithin(Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (failures - 1)));
          if (change === undefined) return;
          cause = change === TIMED_OUT ? undefined : change.cause;
        }
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

/** A failure the stream goes on after: the client keeps the state it has and waits. */
function retrying(error: { message: string; extensions?: Record<string, unknown> }): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, retrying: true } });
}
