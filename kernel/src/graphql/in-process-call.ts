import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { GraphQLError } from "graphql";
import { DependencyFailed, DomainError, withoutStack } from "../errors/domain-error.js";
import { ErrorCode, isPublicErrorCode } from "../errors/error-codes.js";
import { createErrorFormatter } from "../errors/format-error.js";
import type { Logger } from "../logging/logger.js";
import { tracingEnabled } from "../observability/tracing-context.js";

export interface InProcessCallOptions {
  /** The called service, as its server's spans name it (`inventory`). */
  service: string;
  /** Where the callee's server would have logged what it masked (its unexpected errors). */
  logger: Logger;
  /** The subgraph client's deadline for the same call. */
  timeoutMs?: number;
}

/**
 * Calls another subgraph's service in this process and answers exactly as the subgraph client
 * would have after an HTTP request to that subgraph's server (see createSubgraphClient): an
 * error goes through the same formatter the callee's server uses, then is rebuilt as the
 * client rebuilds an answer's error. So a coded refusal (OUT_OF_STOCK and its extensions) comes
 * through with its code; a failure of something the callee needs (its database restarting)
 * is SERVICE_UNAVAILABLE and transient; any other unexpected error is DependencyFailed, not
 * transient; no answer within `timeoutMs` is SERVICE_UNAVAILABLE, as the client's deadline is
 * (the callee's work goes on, as it does behind a request that timed out). The original
 * error travels as `cause`, for the log. Traced, the call is a span of the callee's
 * (`inventory reserveStock`, `storefront.service`), where its server's span would have been.
 * Only the hop is saved: the HTTP request, the callee's parse, validation and signed-identity
 * check, and the JSON both ways.
 */
export function createInProcessCaller(options: InProcessCallOptions) {
  const format = createErrorFormatter(options.logger);
  const timeoutMs = options.timeoutMs ?? 5000;

  function asClientError(error: unknown): Error {
    const located = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error });
    const formatted = format(located.toJSON(), located);
    const code = formatted.extensions?.code;
    const answer =
      isPublicErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR
        ? withoutStack(() => new GraphQLError(formatted.message, { extensions: { ...formatted.extensions } }))
        : new DependencyFailed();
    answer.cause = error;
    return answer;
  }

  async function answer<T>(work: () => Promise<T>): Promise<T> {
    // What the client throws when its request gets no answer in time, built only then: an
    // error's construction (a GraphQLError, its stack) on every call answered in time was a
    // percent of the subgraphs' busy time under checkouts (three calls a checkout).
    let timedOut: DomainError | undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject((timedOut = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry"))), timeoutMs);
    });
    try {
      return await Promise.race([work(), deadline]);
    } catch (error) {
      throw timedOut !== undefined && error === timedOut ? error : asClientError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `work` as the callee's `operation` (its mutation or query field, for the trace). */
  return function call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (!tracingEnabled()) return answer(work);
    const span = trace.getTracer("storefront-in-process").startSpan(`${options.service} ${operation}`, {
      kind: SpanKind.INTERNAL,
      attributes: { "storefront.service": options.service, "graphql.operation.name": operation },
    });
    return context.with(trace.setSpan(context.active(), span), async () => {
      try {
        return await answer(work);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

export type InProcessCaller = ReturnType<typeof createInProcessCaller>;
