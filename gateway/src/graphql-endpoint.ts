import type { IncomingMessage, ServerResponse } from "node:http";
import { ApolloServer } from "@apollo/server";
import { GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFormattedError } from "graphql";
import { budgetRefusalHeaders, createApolloHandler, createDocumentStore, createErrorFormatter, graphqlMetricsPlugin, type Logger } from "#kernel";
import { tracingOperationPlugin } from "#kernel/observability/tracing-graphql-plugin.js";
import type { GatewayContext } from "./gateway-context.js";
import type { PreparedGateway } from "./execution/prepared-gateway.js";
import { incompleteResultPlugin } from "./execution/incomplete-result-plugin.js";
import { persistedAnswers } from "./execution/persisted-answers.js";
import { planningKey } from "./execution/planning-time.js";
import { VALIDATION_OPTIONS } from "./execution/mistakes-reported.js";
import { variableNameHint } from "./execution/misnamed-request-parts.js";
import type { RunningResponseCache } from "./performance/start-response-cache.js";
import { costSettlementPlugin } from "./security/cost-settlement-plugin.js";
import { HOW_TO_SEND, PolicyRefusal, type OperationRequest, type RequestPolicy } from "./security/request-policy.js";

export interface GraphQLEndpoint {
  /** The server behind the endpoint (WebSocket operations run on it too). */
  apollo: ApolloServer<GatewayContext>;
  /** Serves one request of the GraphQL URL for the caller `context` says (authenticated before). */
  handle(req: IncomingMessage, res: ServerResponse, context: GatewayContext): Promise<void>;
  /**
   * Runs one operation the request policy admitted outside HTTP (a WebSocket subscribe message)
   * for the caller `context` says: on the own path when it is a persisted operation it answers,
   * else through Apollo Server's pipeline, with the same plugins and formatter either way.
   */
  execute(request: { query: string | DocumentNode; variables?: Record<string, unknown>; operationName?: string }, context: GatewayContext): Promise<ExecutionResult>;
}

/**
 * The gateway's GraphQL over HTTP (and the operations WebSocket runs): the request policy admits
 * each request (limits, budgets, persisted-only), then a persisted operation planned ahead is
 * answered on the gateway's own path (`persisted-answers.ts`, unless `persistedAnswers` is
 * `apollo`) and everything else by
 * Apollo Server, with the same plugins, formatter and settlement. One home for this wiring, so
 * the equality test runs the endpoint the gateway runs.
 */
export async function startGraphQLEndpoint(deps: {
  gateway: PreparedGateway;
  logger: Logger;
  /** Outside production: introspection and graphql-js's field suggestions. */
  development: boolean;
  responseCache: Pick<RunningResponseCache, "plugins" | "bypass">;
  policy: RequestPolicy;
  maxRequestBytes: number;
  persistedAnswers: "own" | "apollo";
}): Promise<GraphQLEndpoint> {
  const { gateway, policy } = deps;
  const formatAnyError = createErrorFormatter(deps.logger, { fieldSuggestions: deps.development });
  // A variable's name mistaken in the document is told the name meant, or how to declare it.
  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const hint = formatted.extensions?.code === "GRAPHQL_VALIDATION_FAILED" && error instanceof GraphQLError ? variableNameHint(error, deps.development ? gateway.schema : undefined) : "";
    return formatAnyError(hint ? { ...formatted, message: formatted.message + hint } : formatted, error);
  };
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Weighed by the text each parsed document holds, which Apollo's own store leaves out.
    documentStore: createDocumentStore(),
    validationOptions: VALIDATION_OPTIONS,
    introspection: deps.development,
    csrfPrevention: true,
    allowBatchedHttpRequests: true,
    stopOnTerminationSignals: false,
    // Limits and budgets are judged before Apollo sees a request (the request policy), so a
    // cached answer is still refused to a caller over its limits. The persisted answers
    // (persisted-answers.ts) do what these do, in this order: keep them in step.
    plugins: [incompleteResultPlugin<GatewayContext>(), ...deps.responseCache.plugins, graphqlMetricsPlugin<GatewayContext>("gateway"), costSettlementPlugin<GatewayContext>()],
  });
  apollo.addPlugin(tracingOperationPlugin("gateway"));
  await apollo.start();

  // What each planning took goes to the request it was made for: its deposit is settled to it.
  // (Apollo Server runs each operation on a shallow copy of the context: the map is shared.)
  gateway.whenPlanned((contextValue, query, operationName, milliseconds) => {
    (contextValue as GatewayContext).planning?.set(planningKey(query, operationName), milliseconds);
  });
  const contextOf = async (req: IncomingMessage) => (req as AuthenticatedRequest).gatewayContext;
  const own = deps.persistedAnswers === "own" ? persistedAnswers({ gateway, context: contextOf, formatError, logger: apollo.logger, responseCache: deps.responseCache.bypass }) : undefined;
  const graphql = createApolloHandler(apollo, contextOf, {
    bodyLimitBytes: deps.maxRequestBytes,
    csrfPrevention: true,
    howToSend: HOW_TO_SEND,
    admit: async (body, req) => {
      const requests = (Array.isArray(body) ? body : [body]) as OperationRequest[];
      const transport = req.method === "GET" ? "http-get" : "http-post";
      try {
        const context = (req as AuthenticatedRequest).gatewayContext;
        const admitted = await policy.admit(requests, context.caller, transport);
        context.admitted?.();
        // Charged their measured maxima: each operation's answer settles what it really cost.
        context.settleCost = policy.settlementFor(admitted, (query, operationName) => context.planning?.get(planningKey(query, operationName)));
        return undefined;
      } catch (error) {
        if (!(error instanceof PolicyRefusal)) throw error;
        const headers: Record<string, string> =
          error.status === 429 ? budgetRefusalHeaders(error.retryAfterSeconds) : error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {};
        return { status: error.status, code: error.code, message: error.message, headers, extensions: error.extensions, locations: error.locations };
      }
    },
    ...(own ? { answer: own.http } : {}),
  });
  return {
    apollo,
    async handle(req, res, context) {
      (req as AuthenticatedRequest).gatewayContext = context;
      await graphql(req, res);
    },
    async execute(request, context) {
      const answered = await own?.operation(request, context);
      if (answered) return answered as ExecutionResult;
      const response = await apollo.executeOperation(request, { contextValue: context });
      if (response.body.kind !== "single") throw new Error("Operations over WebSocket return one result");
      return response.body.singleResult as ExecutionResult;
    },
  };
}

interface AuthenticatedRequest extends IncomingMessage {
  gatewayContext: GatewayContext;
}
