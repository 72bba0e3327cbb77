import { GraphQLError, type DocumentNode, type ExecutionResult, type FieldNode } from "graphql";
import { ErrorCode } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { subscriptionToQuery } from "./subscription-to-query.js";
import { createAsyncQueue, TIMED_OUT } from "./async-signal-queue.js";
import type { OrderStatusFeed } from "./order-status-feed.js";
import type { ExecuteThroughGateway } from "./graphql-websocket.js";
import type { SubscriptionTrace } from "./websocket-spans.js";
import type { TraceCarrier } from "#kernel/observability/tracing-context.js";
import { PolicyRefusal } from "../security/request-policy.js";
import type { CostCharge } from "../security/cost-budget.js";

// The orders subgraph's final statuses (see its state machine): a DELIVERED order may still be
// returned and refunded, so the stream follows it on.
const FINAL_STATUSES = new Set(["CANCELLED", "PAYMENT_FAILED", "REFUNDED"]);

/** A subscription the gateway can serve: the query to re-run and the order it follows. */
export interface LiveOrderPlan {
  query: DocumentNode;
  orderId: string;
  /** Where each answer holds the order: `orderStatusChanged`, or the client's alias of it. */
  responseKey: string;
  /** Where the order holds its status, read for the gateway and taken out of the answer. */
  statusKey: string;
}

/** Plans `orderStatusChanged`, or says why the subscription cannot be served. */
export function planLiveOrder(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): LiveOrderPlan | { error: string } {
  const rewritten = subscriptionToQuery(document, operationName);
  if ("error" in rewritten) return rewritten;
  const orderId = argumentValue(rewritten.field, "orderId", variables);
  if (typeof orderId !== "string") return { error: "orderId is required" };
  return { query: rewritten.query, orderId, responseKey: rewritten.responseKey, statusKey: rewritten.statusKey };
}

function argumentValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const value = field.arguments?.find((a) => a.name.value === name)?.value;
  if (value?.kind === "Variable") return variables[value.name.value];
  if (value?.kind === "StringValue") return value.value;
  return undefined;
}

/**
 * Codes a re-read may fail with and later succeed: a subgraph down, overloaded or timing out
 * (SERVICE_UNAVAILABLE: the error formatter gives it to network failures and the data source
 * to a subgraph's 502/503/504), a budget spent for now. Any other error says the order cannot
 * be followed by this subscriber (NOT_FOUND, FORBIDDEN, ...) or that the selection itself
 * fails: INTERNAL_SERVER_ERROR is what an unexpected failure is masked as, which the operation
 * can cause every time (an entity fetch over a subgraph's body limit), so it is not retried.
 */
const TRANSIENT_CODES = new Set<string>([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/**
 * How a re-read that failed, or answered in part with a transient error, is tried again: after `firstDelayMs`, doubled
 * each time up to `maxDelayMs`, and at once when the order changes meanwhile. The failure is
 * sent to the subscriber (with `extensions.retrying: true`) once it has failed
 * `reportAfterFailures` times in a row, so a short blip goes unseen and a long one is known.
 * Reads that have failed for `giveUpAfterMs` in a row end the stream with the failure's code
 * and `retrying: false` (a subgraph restarting is back well within 2 min; a failure longer
 * than that, or one the selection causes every time, is not worth a read every 5 s for as
 * long as the socket stays open): the client subscribes again when it chooses, and gets the
 * current state first. About 27 reads at most, each charged to the subscriber's budget.
 */
export const LIVE_ORDER_RETRY = { firstDelayMs: 250, maxDelayMs: 5_000, reportAfterFailures: 3, giveUpAfterMs: 120_000 };

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
 * A short transient failure does not end the stream: a re-read that fails (the orders
 * subgraph down) or answers in part with a transient error (payments down: the order with an
 * error) is tried again with backoff (LIVE_ORDER_RETRY) until it answers in full, so the
 * status that changed during an outage arrives once the subgraphs answer again; after
 * `giveUpAfterMs` of failures the stream ends, the client free to subscribe again. An answer
 * in part whose errors are all permanent is sent as it is and read again only on the order's
 * next change. The stream ends at a final status, when the order cannot be read by this
 * subscriber or by this selection (NOT_FOUND, INTERNAL_SERVER_ERROR and other non-transient
 * codes), when retrying gives up, or when the client stops it.
 *
 * Every read after the first (the subscribe's admission paid for that one) is charged through
 * `charge` to the subscriber's budgets as an HTTP request would be, retries included: a
 * refused read runs nothing and counts as a transient failure (RATE_LIMITED), so a
 * subscription never spends more than its owner's budget.
 *
 * Stopping (`return`, when the client completes or the socket closes, or `context.signal`)
 * takes effect at once, even while the stream waits for the next change or retry: an async
 * generator would only see the request at its next `yield`, holding the listener and the
 * customer's subscription slot until the order changed again. A read in flight is aborted
 * (its subgraph calls dropped) and its answer never sent.
 */
export function liveOrderResults(options: {
  plan: LiveOrderPlan;
  variables: Record<string, unknown>;
  context: GatewayContext;
  feed: OrderStatusFeed;
  execute: ExecuteThroughGateway;
  /**
   * Charges one re-read to the subscriber's budgets (RequestPolicy.readmit); throws
   * PolicyRefusal when spent. Returns what the cost budget was charged, for `settle`.
   */
  charge: () => Promise<CostCharge | undefined | void>;
  /**
   * Settles a read once answered (RequestPolicy.settle): the cost budget gets back what the
   * answer did not cost. `charged` is the re-read's charge; for the first read, undefined (the
   * subscribe's admission charged it: `first` says so). `read` is the context the read ran
   * under, its own: what planning it noted there is that read's.
   */
  settle?: (charged: CostCharge | undefined, result: ExecutionResult, first: boolean, read: GatewayContext) => Promise<void>;
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
  const stopped = new AbortController();
  const signal = context.signal ? AbortSignal.any([context.signal, stopped.signal]) : stopped.signal;
  const stop = () => {
    if (stopped.signal.aborted) return;
    stopped.abort();
    stopListening();
    changes.close();
  };
  context.signal?.addEventListener("abort", stop, { once: true });
  const read = async (first: boolean): Promise<ExecutionResult> => {
    let charged: CostCharge | undefined;
    if (!first) {
      try {
        charged = (await options.charge()) ?? undefined;
      } catch (error) {
        if (error instanceof PolicyRefusal) return { errors: [error.toGraphQLError()] };
        throw error;
      }
    }
    // A map of its own: what planning this read took is what its settlement keeps.
    const readContext: GatewayContext = { ...context, signal, requestId: `${context.requestId}:${Date.now()}`, planning: new Map() };
    const result = await options.execute({ query: plan.query, variables }, readContext);
    await options.settle?.(charged, result, first, readContext);
    return result;
  };

  async function* results(): AsyncGenerator<ExecutionResult> {
    try {
      let lastSent = "";
      let firstRead = true;
      let cause: TraceCarrier | undefined;
      let failures = 0;
      let failingSince = 0;
      for (;;) {
        const result = await (firstRead ? options.trace.first(() => read(true)) : options.trace.update(cause, () => read(false)));
        firstRead = false;
        // Stopped while reading: nobody waits for this answer (nor for a `next` after `complete`).
        if (signal.aborted) return;
        const order = (result.data as Record<string, Record<string, unknown> | null> | undefined)?.[plan.responseKey];
        if (!order && !isTransient(result)) {
          yield result.errors?.length
            ? { errors: result.errors }
            : { errors: [new GraphQLError(`Order ${plan.orderId} was not found`, { extensions: { code: ErrorCode.NOT_FOUND } })] };
          return;
        }
        let update: ExecutionResult | undefined;
        if (order) {
          const status = order[plan.statusKey];
          delete order[plan.statusKey];
          update = result;
          if (typeof status === "string" && FINAL_STATUSES.has(status)) {
            yield result;
            return;
          }
        }
        failures = worthRetrying(result) ? failures + 1 : 0;
        if (failures === 1) failingSince = Date.now();
        if (failures > 0 && Date.now() - failingSince >= retry.giveUpAfterMs) {
          yield { errors: [gaveUp(result, plan.orderId, retry.giveUpAfterMs)] };
          return;
        }
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

/**
 * The failure that ends a stream whose reads kept failing: the first transient error's code
 * and extensions (SERVICE_UNAVAILABLE, or RATE_LIMITED with its retryAfterSeconds), no data,
 * so a client treats it as a stream to subscribe to again, not as an answer.
 */
function gaveUp(result: ExecutionResult, orderId: string, afterMs: number): GraphQLError {
  const cause = result.errors!.find(transientError)!;
  return new GraphQLError(`Order ${orderId} could not be read for ${Math.round(afterMs / 1000)} s; subscribe again to follow it`, {
    extensions: { ...cause.extensions, retrying: false },
  });
}

/** A failure the stream goes on after: the client keeps the state it has and waits. */
function retrying(error: { message: string; extensions?: Record<string, unknown> }): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, retrying: true } });
}
