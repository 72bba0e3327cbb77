import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { trace } from "@opentelemetry/api";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { recordGraphQLOperation, type Logger } from "#kernel";
import { tracingEnabled } from "#kernel/observability/tracing-context.js";
import type { GatewayContext } from "../gateway-context.js";
import type { RunningResponseCache } from "../performance/start-response-cache.js";
import { reportIncompleteResult } from "./incomplete-result-plugin.js";
import { asGraphQLError, formatErrorsAsApollo, type ErrorFormatter } from "./apollo-error-format.js";
import { newCachePolicy } from "./overall-cache-policy.js";
import type { PersistedRun, PreparedGateway } from "./prepared-gateway.js";

const APPLICATION_JSON = "application/json; charset=utf-8";
const GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8";

/**
 * The answer's content type for the `Accept` headers clients send, as Apollo Server's content
 * negotiation chooses it (`persisted-answers-equality.test.ts` asks Apollo Server for each).
 * Any other header goes through the pipeline, which negotiates it (or refuses it, 406).
 */
const CONTENT_TYPE_FOR_ACCEPT = new Map<string | undefined, string>([
  [undefined, APPLICATION_JSON],
  ["*/*", APPLICATION_JSON],
  ["application/json", APPLICATION_JSON],
  ["application/json, */*", APPLICATION_JSON],
  ["application/graphql-response+json", GRAPHQL_RESPONSE_JSON],
  // The storefront's client, and Apollo Client's.
  ["application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON],
  ["application/graphql-response+json,application/json;q=0.9", GRAPHQL_RESPONSE_JSON],
]);

/**
 * Answers an admitted request of one persisted operation, by HTTP (a JSON POST, or a GET of a
 * query) or over WebSocket (`operation`), without Apollo Server's request pipeline. The
 * persisted operations are a closed set, planned ahead (`prepareAhead`): for each the gateway
 * holds the document, the plan and its executor, so what the pipeline still did per request
 * (the text's SHA-256 and document-store lookup, the plugins' eleven hooks, content
 * negotiation, the response's header map and assembly) is done here once per text or not at all.
 *
 * Nothing moves before it: the body is read and the request policy admits it (authentication,
 * rate limits, cost and field budgets, depth, alias and token limits, the persisted-only rule)
 * in `createApolloHandler`, or in the WebSocket server for a subscribe message, as for every
 * request; the subgraphs get the same signed identity header from the same data sources. After
 * the plan has run, what the plugins did is done in their order, with their own code where it
 * is shared: the incomplete result made errors, the response cache's `bypass` header, the
 * operation's metrics, the cost settlement, then the `Cache-Control` header Apollo's
 * cache-control plugin writes. Errors are formatted by the server's own formatter as Apollo
 * Server formats them. The answer is Apollo Server's, byte for byte, on every transport:
 * `persisted-answers-equality.test.ts` runs every persisted operation through both.
 *
 * It answers only what it can answer exactly and hands everything else to Apollo Server
 * (`false`, or undefined) before anything has run: a batch, a GET of anything but a query, a
 * body with other keys, an `Accept` header not in the table above, a text that is not a
 * persisted one planned ahead on the own executor (or one given as a parsed document),
 * variables that do not coerce (the pipeline words that refusal), an operation the response
 * cache looks up, and any request while traces are recorded (Apollo's plugin names the span
 * and the stock executor records its own).
 */
export function persistedAnswers(deps: {
  gateway: PreparedGateway;
  /** The request's context, as Apollo Server is given it. */
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  /** The ApolloServer's `formatError`. */
  formatError: ErrorFormatter;
  /** What the plan's executor logs an unexpected failure to (Apollo Server's logger). */
  logger: Pick<Logger, "error" | "warn" | "info" | "debug">;
  /** The response cache, when it is on. */
  responseCache?: RunningResponseCache["bypass"];
}) {
  const looksUp = new WeakMap<PersistedRun, boolean>();
  const cacheLooksUp = (run: PersistedRun): boolean => {
    if (!deps.responseCache) return false;
    let answer = looksUp.get(run);
    if (answer === undefined) looksUp.set(run, (answer = deps.responseCache.looksUp(deps.gateway.schema, run.document, run.operation.name?.value)));
    return answer;
  };

  /**
   * The run that answers `request` on this path, or undefined for one that is Apollo Server's
   * (decided before anything runs).
   */
  const runFor = (request: PlainRequest): PersistedRun | undefined => {
    if (tracingEnabled() || trace.getActiveSpan()?.isRecording()) return undefined;
    const run = deps.gateway.persisted(request.query, request.operationName);
    if (!run || !run.acceptsVariables(request.variables ?? {}) || cacheLooksUp(run)) return undefined;
    return run;
  };

  /**
   * Runs the plan and does what the plugins do with its result, in their order, up to what only
   * HTTP has (headers and status): the answer as Apollo Server's `singleResult`.
   */
  const answer = async (run: PersistedRun, request: PlainRequest, contextValue: GatewayContext, startedAt: number): Promise<Answer> => {
    const operationName = run.operation.name?.value;
    const overallCachePolicy = newCachePolicy();
    const requestContext = {
      request,
      context: contextValue,
      contextValue,
      document: run.document,
      operation: run.operation,
      operationName: operationName ?? null,
      source: request.query,
      schema: deps.gateway.schema,
      metrics: { captureTraces: false },
      overallCachePolicy,
      logger: deps.logger,
    } as unknown as GatewayGraphQLRequestContext;

    let result: GatewayExecutionResult;
    let failed = false;
    try {
      result = await run.execute(requestContext);
    } catch (error) {
      // What the pipeline answers an executor that threw: its error alone, status 500 unless it says one.
      failed = true;
      result = { errors: [asGraphQLError(error)] };
    }
    // (The pipeline makes a variable's coercion error BAD_USER_INPUT here; none reach this path.)
    const errors = result.errors as readonly GraphQLError[] | undefined;
    const formatted = errors ? formatErrorsAsApollo(errors, deps.formatError) : undefined;
    let status = formatted?.status;
    if (!status && errors?.length && (failed || result.data === undefined)) status = failed ? 500 : 400;
    const body: SingleResult = failed ? { errors: formatted!.errors } : { ...result, errors: formatted?.errors };

    // The plugins' willSendResponse, in the order Apollo Server runs them.
    reportIncompleteResult(body);
    recordGraphQLOperation("gateway", operationName ?? request.operationName, run.operation.operation, errors ?? [], startedAt);
    if (contextValue.settleCost) await contextValue.settleCost(request, { data: body.data as never, errors: body.errors, extensions: body.extensions });
    const policy = overallCachePolicy.policyIfCacheable();
    return { body, status, headers: formatted?.headers ?? [], cacheControl: policy && !body.errors ? `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}` : "no-store" };
  };

  return {
    /** Answers `body` on `res` and resolves true, or resolves false having sent nothing nor run anything. */
    async http(body: unknown, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const startedAt = performance.now();
      // A GET's operation is its query string's (the handler shapes it like a body); Apollo Server
      // runs only queries by GET, and the request policy refused the rest before this.
      if (req.method !== "GET" && (req.method !== "POST" || !sentAsJson(req))) return false;
      const contentType = CONTENT_TYPE_FOR_ACCEPT.get(req.headers.accept);
      if (!contentType) return false;
      const request = plainRequest(body);
      if (!request) return false;
      const run = runFor(request);
      if (!run || (req.method === "GET" && run.operation.operation !== "query")) return false;

      const answered = await answer(run, request, await deps.context(req), startedAt);
      for (const [name, value] of answered.headers) res.setHeader(name, value);
      if (deps.responseCache?.statusHeader) res.setHeader("x-response-cache", "bypass");
      res.setHeader("cache-control", answered.cacheControl);
      res.setHeader("content-type", contentType);
      res.statusCode = answered.status ?? 200;
      const { errors, data, extensions } = answered.body;
      res.end(JSON.stringify({ errors, data, extensions }) + "\n");
      return true;
    },

    /**
     * The result of an operation sent over WebSocket (graphql-ws), admitted by the request
     * policy as every subscribe message is, as `apollo.executeOperation` gives it; undefined,
     * having run nothing, for one that is Apollo Server's. A text given as a parsed document
     * (a live order's re-run) is Apollo Server's.
     */
    async operation(request: { query: unknown; operationName?: string | null; variables?: Record<string, unknown> | null }, contextValue: GatewayContext): Promise<SingleResult | undefined> {
      const startedAt = performance.now();
      if (typeof request.query !== "string") return undefined;
      const plain: PlainRequest = { query: request.query, operationName: request.operationName ?? undefined, variables: request.variables ?? undefined, extensions: undefined };
      const run = runFor(plain);
      if (!run) return undefined;
      return (await answer(run, plain, contextValue, startedAt)).body;
    },
  };
}

/** An answer as Apollo Server's `singleResult`. */
type SingleResult = { data?: unknown; errors?: readonly GraphQLFormattedError[]; extensions?: Record<string, unknown> };

interface Answer {
  body: SingleResult;
  /** The status the errors ask for, if any. */
  status: number | undefined;
  /** Headers the errors ask for. */
  headers: Iterable<[string, string]>;
  /** The `Cache-Control` header Apollo's cache-control plugin writes over HTTP. */
  cacheControl: string;
}

/** Whether the body was read as JSON (a request in another content type is the pipeline's to judge). */
function sentAsJson(req: IncomingMessage): boolean {
  const type = req.headers["content-type"];
  return type !== undefined && /^application\/json\s*(;|$)/i.test(type);
}

interface PlainRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

/**
 * The body as Apollo Server reads a POST of one operation, or undefined for anything it judges
 * otherwise. `extensions` may hold only `persistedQuery`, which the request policy has checked
 * (its hash is the text's): Apollo Server would only remember the text under it.
 */
function plainRequest(body: unknown): PlainRequest | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  let query: string | undefined;
  let operationName: string | undefined;
  let variables: Record<string, unknown> | undefined;
  let extensions: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(body)) {
    // A GET's parameter left out (its shape has every key).
    if (value === undefined) continue;
    if (key === "query" && typeof value === "string") query = value;
    else if (key === "operationName" && (typeof value === "string" || value === null)) operationName = value ?? undefined;
    else if (key === "variables" && (value === null || isRecord(value))) variables = (value ?? undefined) as Record<string, unknown> | undefined;
    else if (key === "extensions" && (value === null || (isRecord(value) && Object.keys(value).every((name) => name === "persistedQuery")))) extensions = (value ?? undefined) as Record<string, unknown> | undefined;
    else return undefined;
  }
  return query ? { query, operationName, variables, extensions } : undefined;
}

const isRecord = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value);
