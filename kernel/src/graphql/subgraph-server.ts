import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createGuardedServer } from "../http/guarded-server.js";
import { vouchForSocket } from "../http/stranger-sockets.js";
import { defaultMaxConnections } from "../runtime/open-file-limit.js";
import { randomUUID } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import { createApolloHandler } from "../http/apollo-http-handler.js";
import { sendGraphQLError } from "../http/send-graphql-error.js";
import { listen, closeServer } from "../http/listen.js";
import { httpOrigin } from "../http/http-origin.js";
import { INTERNAL_HEADER, type InternalClaims } from "../auth/internal-credential.js";
import { sharedInternalCredentialVerifier } from "../auth/internal-credential-verifier.js";
import type { RequestContext } from "../auth/request-context.js";
import { isGuestCartId } from "../auth/guest-cart-token.js";
import { createErrorFormatter } from "../errors/format-error.js";
import { textInputGuardPlugin } from "./text-input-guard-plugin.js";
import { declaredCacheHintsPlugin } from "./declared-cache-hints-plugin.js";
import { preparedSubgraphQueries } from "./prepared-subgraph-queries.js";
import { ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import { tracingOperationPlugin } from "../observability/tracing-graphql-plugin.js";
import { graphqlMetricsPlugin } from "../observability/metrics-graphql.js";
import { METRICS_PATH, serveMetrics } from "../observability/metrics-route.js";
import { countStrangerSocketClosed } from "../observability/metrics-gateway.js";
import { createShutdownDelay } from "../readiness/shutdown-delay.js";
import type { SubgraphReadiness } from "../readiness/subgraph-readiness.js";
import { locateCodedErrors } from "./coded-errors-located.js";
import { createDocumentStore } from "./document-store.js";

export interface SubgraphServerOptions<TContext extends RequestContext> {
  name: string;
  schema: GraphQLSchema;
  internalSecret: string;
  logger: Logger;
  /** Adds per-request state (DataLoaders) to the verified base context. */
  extendContext: (base: RequestContext) => TContext;
  port: number;
  host: string;
  /**
   * Plain HTTP documents served without the gateway's credential, by path. Only for what is
   * public by nature, such as the accounts subgraph's JWKS.
   */
  publicRoutes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /**
   * Public plain HTTP under path prefixes (the products subgraph's image origin and upload
   * route), asked for any path but /healthz and /graphql: resolves true when it answered.
   */
  publicHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /**
   * What /readyz answers from (`subgraphReadiness`): 503 while an engine it needs does not
   * answer, and from the moment `close` is called, while it keeps serving for the process's
   * shutdown delay. Without it, ready until closed and closed at once.
   */
  readiness?: SubgraphReadiness;
  /** Which Host headers are served (`loopbackHostCheck` of the configuration); every one when left out. */
  acceptsHost?: (host: string | undefined) => boolean;
  /** `false`: every request through Apollo Server's pipeline (the reference the prepared queries are tested against). */
  preparedQueries?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Sockets one client network may hold on a subgraph port before a signed request vouches for
 * them; past it its oldest such socket is closed (stranger-sockets.ts). A subgraph's strangers
 * are probes, scrapers and whoever reached a port the gateway alone should call: a handful.
 * Seven subgraph servers of one process hold at most 448 of one client's, where the open-file
 * limit is 20,000 here.
 */
const STRANGER_SOCKETS_PER_CLIENT = 64;

/**
 * Serves one subgraph. Every GraphQL request must carry the gateway's signed credential;
 * anything else is refused before parsing, so a subgraph is never a side door. Text input a
 * store cannot hold (NUL, unpaired surrogates) is refused before any resolver runs, and the
 * formatter keeps internals out of every error.
 */
export async function startSubgraphServer<TContext extends RequestContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<RunningServer> {
  const { logger } = options;
  // Coded errors reach graphql-js located, without the two stacks it would capture for each.
  locateCodedErrors(options.schema);
  const hasCacheHints = options.schema.getDirective("cacheControl") !== undefined;
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    documentStore: createDocumentStore(),
    introspection: true,
    csrfPrevention: false,
    stopOnTerminationSignals: false,
    // Traces are for Apollo's hosted studio, which this platform does not report to.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      // Cache hints only from a schema that can give one, and only as declared (no resolver sets
      // one): without @cacheControl every answer is uncacheable, as a missing header tells the
      // gateway too, and Apollo's plugin wrapped every field's resolver to collect hints that
      // could never be there; with it, Apollo's plugin worked each field's hint out anew per
      // resolved field (see declared-cache-hints-plugin.ts).
      ApolloServerPluginCacheControlDisabled(),
      textInputGuardPlugin<TContext>(),
      graphqlMetricsPlugin<TContext>(options.name),
      ...(hasCacheHints ? [declaredCacheHintsPlugin<TContext>()] : []),
    ],
  });
  apollo.addPlugin(tracingOperationPlugin(options.name));
  await apollo.start();
  const credentials = sharedInternalCredentialVerifier(options.internalSecret);
  // Verified once, where the request is admitted; the context reads that verdict.
  const verifiedClaims = new WeakMap<IncomingMessage, InternalClaims>();
  const context = async (req: IncomingMessage) => {
    const claims = verifiedClaims.get(req)!;
    const requestId = claims.requestId || randomUUID();
    return options.extendContext({
      requestId,
      identity: claims.identity,
      clientAddress: claims.clientAddress,
      guestCartId: isGuestCartId(claims.guestCartId) ? claims.guestCartId : undefined,
      logger: logger.child({ requestId, userId: claims.identity?.userId }),
    });
  };
  // The gateway's error-free reads without Apollo Server's pipeline; with cache hints, where the
  // answer's header can be worked out once per text (see prepared-subgraph-queries.ts).
  const answer = options.preparedQueries === false ? undefined : preparedSubgraphQueries({ schema: options.schema, server: options.name, context, cacheHints: hasCacheHints });
  const handle = createApolloHandler(apollo, context, { answer });

  // Headers within 10 s and a socket cap keep idle sockets from using up the process's file
  // descriptors; the whole request may take Node's usual 5 minutes, since a public route may
  // receive an image upload (10 MB) over a slow link.
  const shutdown = options.readiness?.shutdown ?? createShutdownDelay(0);
  const readiness = async (res: ServerResponse) => {
    const report = shutdown.stopping ? { ready: false, status: "shutting down" } : ((await options.readiness?.report()) ?? { ready: true, status: "ready" });
    res.writeHead(report.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ ...report, subgraph: options.name }));
  };
  const server: Server = createGuardedServer({ maxConnections: defaultMaxConnections(), maxStrangersPerClient: STRANGER_SOCKETS_PER_CLIENT, onStrangerClosed: () => countStrangerSocketClosed(options.name), requestTimeoutMs: 300_000, acceptsHost: options.acceptsHost }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    // Told to stop, no connection is kept past its answer: one kept idle is cut when the
    // shutdown delay ends, as its client (the gateway's pool) may be sending on it.
    if (shutdown.stopping) res.setHeader("connection", "close");
    // A request signed by the platform (the gateway's calls, its image fetches) makes its socket
    // the platform's own: never closed to make room for a stranger's.
    const claims = credentials.verify(req.headers[INTERNAL_HEADER] as string | undefined, options.name);
    if (claims) vouchForSocket(req.socket);
    // Alive while it runs, whatever its engines: a restart would not bring them back.
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end(`{"status":"ok","subgraph":"${options.name}"}`);
      return;
    }
    if (path === "/readyz") {
      readiness(res).catch((error: unknown) => {
        logger.error("readiness failed", { error: String(error) });
        if (!res.headersSent) sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal error");
      });
      return;
    }
    if (path === METRICS_PATH) return void serveMetrics(req, res).catch((error: unknown) => logger.error("metrics failed", { error: String(error) }));
    // Own properties only: "/constructor" must not reach Object.prototype.
    const publicRoute = options.publicRoutes && path && Object.hasOwn(options.publicRoutes, path) ? options.publicRoutes[path] : undefined;
    if (publicRoute) {
      publicRoute(req, res);
      return;
    }
    if (path !== "/graphql") {
      if (!options.publicHandler) return sendGraphQLError(res, 404, ErrorCode.NOT_FOUND, "Not found");
      options.publicHandler(req, res).then(
        (answered) => answered || sendGraphQLError(res, 404, ErrorCode.NOT_FOUND, "Not found"),
        (error: unknown) => {
          logger.error("public route failed", { path, error: String(error) });
          if (!res.headersSent) sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal error");
          else res.destroy();
        },
      );
      return;
    }
    if (!claims) {
      sendGraphQLError(res, 403, ErrorCode.FORBIDDEN, "Subgraphs accept requests from the gateway only");
      return;
    }
    verifiedClaims.set(req, claims);
    handle(req, res).catch((error: unknown) => {
      logger.error("request failed", { error: String(error) });
      if (!res.headersSent) sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal error");
    });
  });
  const port = await listen(server, options.port, options.host);
  logger.info("subgraph listening", { subgraph: options.name, port });
  return {
    url: `${httpOrigin(options.host, port)}/graphql`,
    port,
    close: async () => {
      // Not ready at once, serving on through the delay, then drained (see ShutdownDelay).
      await shutdown.begin();
      await closeServer(server);
      await apollo.stop();
    },
  };
}
