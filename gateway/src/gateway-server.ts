import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import {
  sendGraphQLError,
  listen,
  closeServer,
  ErrorCode,
  countGatewayResponse,
  countRefusedConnection,
  fromTrustedProxy,
  createGuardedServer,
  renewedPlatformCredential,
  GATEWAY_INACTIVITY_TIMEOUT_MS,
  loopbackHostCheck,
  serveMetrics,
  type Config,
  type EventBus,
  type Logger,
  type KeyValueStore,
} from "#kernel";
import { createSupergraphGateway } from "./supergraph-gateway.js";
import { startGraphQLEndpoint } from "./graphql-endpoint.js";
import { accessTokenVerifierFor, InvalidTokenError } from "./auth/access-token-verifier.js";
import { createSessionRevocations } from "./auth/session-revocations.js";
import { authenticate, authorizationHeader } from "./auth/authenticate-request.js";
import { guestCartIdOfRequest, InvalidCartTokenError } from "./auth/guest-cart-header.js";
import { COST_LEASE_MAX, createCallerRateLimiter } from "./rate-limit/caller-rate-limiter.js";
import { createCallerBudget } from "./rate-limit/caller-budget.js";
import { clientAddress } from "./http/client-address.js";
import { clientNetwork } from "#kernel/http/client-network.ts";
import { httpOrigin } from "#kernel/http/http-origin.ts";
import { callerOf, networkBudget } from "./rate-limit/caller.js";
import { createOtherRequestsBudget } from "./http/other-requests-budget.js";
import { createCrossOriginPages } from "./http/cross-origin-pages.js";
import { createExplorerHandler } from "./explorer/index.js";
import { createStorefrontHandler } from "./storefront/index.js";
import { createOperationBudgets } from "./security/operation-budgets.js";
import { loadPersistedOperations } from "./security/persisted-operations.js";
import { createRequestPolicy } from "./security/request-policy.js";
import { listSizesOf } from "./security/list-sizes.js";
import { createOrderStatusFeed } from "./subscriptions/order-status-feed.js";
import { attachGraphQLWebSocket } from "./subscriptions/graphql-websocket.js";
import { cachedReadiness } from "./http/readiness.js";
import { createImageOriginProxy, imageBudgetKey } from "./http/image-origin-proxy.js";
import { startResponseCache } from "./performance/start-response-cache.js";
import { startSubgraphReplicas } from "./balancing/subgraph-replicas.js";

export interface GatewayDependencies {
  config: Config;
  logger: Logger;
  bus: EventBus;
  redis?: Redis;
  /**
   * The store the accounts subgraph records ended sessions in (Redis, or the one-process
   * platform's embedded store); without it, a token is good until it expires.
   */
  kv?: KeyValueStore;
  /** Overrides config.gateway.port (tests pass 0). */
  port?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The front door: verifies the caller's token, applies per-caller rate limits, plans and
 * executes queries across subgraphs, serves live order subscriptions and the explorer.
 */
export async function startGateway(deps: GatewayDependencies): Promise<RunningGateway> {
  const { config, logger } = deps;
  const replicas = startSubgraphReplicas(config.gateway.subgraphUrls, logger);
  const { gateway, supergraphSdl, close: closeSubgraphPools } = createSupergraphGateway({
    supergraphPath: config.gateway.supergraphPath,
    subgraphUrls: config.gateway.subgraphUrls,
    replicas: replicas.sets,
    internalSecret: config.auth.internalSecret,
    subgraphConnections: config.gateway.performance.subgraphConnections,
    subgraphTimeoutMs: config.gateway.subgraphTimeoutMs,
    subgraphQueueMs: config.gateway.subgraphQueueMs,
    planExecutor: config.gateway.planExecutor,
  });
  // Public catalog answers from memory, invalidated by the catalog's change events (off when
  // RESPONSE_CACHE_TTL_SECONDS=0).
  const responseCache = await startResponseCache({ settings: config.gateway.performance, supergraphSdl, bus: deps.bus, logger });

  const { limits } = config.gateway;
  const revocations = deps.kv ? createSessionRevocations({ kv: deps.kv, bus: deps.bus, logger }) : undefined;
  await revocations?.start();
  const verify = accessTokenVerifierFor(config, revocations);
  const rateLimit = createCallerRateLimiter({ pointsPerMinute: config.gateway.rateLimitPerMinute, redis: deps.redis });
  const networkRateLimit = createCallerRateLimiter({
    pointsPerMinute: config.gateway.rateLimitPerMinute * config.gateway.rateLimitNetworkMultiple,
    redis: deps.redis,
    keyPrefix: "rl:gateway:network",
  });
  const costRateLimit = {
    perMinute: config.gateway.rateLimitCostPerMinute,
    perCaller: createCallerRateLimiter({ pointsPerMinute: config.gateway.rateLimitCostPerMinute, redis: deps.redis, keyPrefix: "rl:cost", leaseMax: COST_LEASE_MAX }),
    perNetwork: createCallerRateLimiter({
      pointsPerMinute: config.gateway.rateLimitCostPerMinute * config.gateway.rateLimitNetworkMultiple,
      redis: deps.redis,
      keyPrefix: "rl:cost:network",
      leaseMax: COST_LEASE_MAX,
    }),
  };
  const explorer = createExplorerHandler();
  const crossOrigin = createCrossOriginPages(config.gateway.crossOrigin);
  const storefront = createStorefrontHandler();
  const feed = createOrderStatusFeed(deps.bus, logger);
  await feed.start();

  const persisted = loadPersistedOperations(config.gateway.persistedOperationsPath, config.gateway.persistedOperationsOnly);
  const policy = createRequestPolicy({
    limits,
    rateLimit,
    networkRateLimit,
    costRateLimit,
    budgets: createOperationBudgets(config.gateway.budgets, { redis: deps.redis, networkMultiple: config.gateway.rateLimitNetworkMultiple }),
    persisted,
    listSizes: listSizesOf(gateway.schema, gateway.supergraphSchema),
    isPrepared: (query, operationName) => gateway.isPrepared(query, operationName),
  });
  const endpoint = await startGraphQLEndpoint({
    gateway,
    logger,
    development: config.env !== "production",
    responseCache,
    policy,
    maxRequestBytes: limits.maxRequestBytes,
    persistedAnswers: config.gateway.persistedAnswers,
  });
  const { apollo } = endpoint;
  const readiness = cachedReadiness(config.gateway.subgraphUrls);
  // Set at close: readiness fails at once while requests are still accepted and served.
  let stopping = false;
  const imageRateLimit = createCallerRateLimiter({ pointsPerMinute: config.gateway.imageRequestsPerMinute, redis: deps.redis, keyPrefix: "rl:images" });
  const otherRequests = createOtherRequestsBudget({ pointsPerMinute: config.gateway.otherRequestsPerMinute, redis: deps.redis });
  const images = createImageOriginProxy({
    productsOrigin: replicas.sets.products!,
    logger,
    credential: renewedPlatformCredential(config.auth.internalSecret, "gateway-images", "products"),
    // Per client network: an image request carries no token, and a CDN in front asks each image once.
    budget: async (req) => {
      const decision = await imageRateLimit(imageBudgetKey(req, clientNetwork(clientAddress(req, config.gateway.trustProxy))));
      if (decision.allowed) otherRequests.countedElsewhere(req);
      return decision;
    },
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    const requestId = requestIdOf(req);
    let identity;
    try {
      identity = await authenticate(verify, authorizationHeader(req.headers));
    } catch (error) {
      if (error instanceof InvalidTokenError) return sendGraphQLError(res, 401, ErrorCode.UNAUTHENTICATED, error.message);
      // The token could not be judged (accounts unreachable for a subject never confirmed).
      logger.warn("access token could not be verified", { requestId, error: error instanceof Error ? error.message : String(error) });
      return sendGraphQLError(res, 503, ErrorCode.SERVICE_UNAVAILABLE, "Signing in is unavailable for a moment; please retry", { "retry-after": "5" });
    }
    let guestCartId;
    try {
      guestCartId = guestCartIdOfRequest(req.headers, config.auth.internalSecret);
    } catch (error) {
      if (!(error instanceof InvalidCartTokenError)) throw error;
      return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, error.message, {}, { header: "X-Cart-Token" });
    }
    // The caller's budgets are charged per operation by the request policy. A guest is keyed by
    // address like any anonymous caller, never by its cart token: minting tokens buys no budget;
    // nor do access tokens, for what they buy is capped per network (see Caller).
    const caller = callerOf(identity, address);
    // A client that goes away before its answer stops the subgraph calls it is waiting on:
    // nobody reads what they would bring back.
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    res.setHeader("x-request-id", requestId);
    await endpoint.handle(req, res, {
      requestId,
      identity,
      caller,
      clientAddress: address,
      guestCartId,
      signal: gone.signal,
      planning: new Map(),
      admitted: () => otherRequests.countedElsewhere(req),
    });
  }

  const server = createGuardedServer(
    {
      maxConnections: config.gateway.connections.maxConnections,
      // Behind a proxy every client arrives from the proxy's address: the proxy caps per client.
      // Named proxies are exempt alone, so a client reaching the gateway past them is capped.
      ...(config.gateway.trustProxy === 0 || typeof config.gateway.trustProxy !== "number"
        ? {
            maxConnectionsPerClient: config.gateway.connections.maxConnectionsPerClient,
            newConnectionsPerMinute: config.gateway.connections.newConnectionsPerMinute,
            exemptPeer: (address: string | undefined) => fromTrustedProxy(address, config.gateway.trustProxy),
          }
        : {}),
      onRefused: countRefusedConnection,
      inactivityTimeoutMs: GATEWAY_INACTIVITY_TIMEOUT_MS,
      acceptsHost: loopbackHostCheck(config),
    },
    (req, res) => {
      countGatewayResponse(req, res);
      // Told to stop, no connection is kept past its answer: one kept idle was cut when the
      // delay ended, as its client (a load balancer's pool) sent its next request on it.
      if (stopping) res.setHeader("connection", "close");
      const path = (req.url ?? "/").split("?")[0];
      const route = async () => {
        // First, before any of the request is read: what no budget of its own counts is
        // counted here (see other-requests-budget.ts).
        const address = clientAddress(req, config.gateway.trustProxy);
        // Before any answer, refusals included: a page allowed to call the API reads them all.
        if (path === "/graphql") crossOrigin.expose(req, res);
        if (!(await otherRequests.enter(req, res, networkBudget(callerOf(undefined, address))))) return;
        if (path === "/healthz") return json(res, 200, { status: "ok" });
        if (await serveMetrics(req, res)) return;
        if (path === "/readyz") {
          if (stopping) return json(res, 503, { ready: false, status: "shutting down" });
          const report = await readiness();
          return json(res, report.ready ? 200 : 503, report);
        }
        if (path === "/" && req.method === "GET") {
          res.writeHead(302, { location: "/explorer" }).end();
          return;
        }
        if (await images(req, res)) return;
        if (explorer(req, res)) return;
        if (storefront(req, res)) return;
        if (path === "/graphql") return crossOrigin.answerPreflight(req, res) ? undefined : handleGraphQL(req, res, address);
        sendGraphQLError(res, 404, ErrorCode.NOT_FOUND, "Not found");
      };
      route().catch((error: unknown) => {
        logger.error("gateway request failed", { error: error instanceof Error ? error.stack : String(error) });
        if (!res.headersSent) sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Something went wrong on our side; please try again");
        else res.end();
      });
    },
  );

  const subscriptions = attachGraphQLWebSocket({
    httpServer: server,
    path: "/graphql",
    policy,
    limits: config.gateway.websocket,
    recheckSessionsEveryMs: config.gateway.websocket.sessionRecheckMs,
    maxMessageBytes: limits.maxRequestBytes,
    clientAddress: (req) => clientAddress(req, config.gateway.trustProxy),
    allowedOrigins: config.gateway.websocket.allowedOrigins,
    crossOriginPages: crossOrigin,
    trustProxy: config.gateway.trustProxy,
    acceptsHost: loopbackHostCheck(config),
    openingBudget: createCallerBudget({
      pointsPerMinute: config.gateway.websocket.connectionsPerMinute,
      networkMultiple: config.gateway.rateLimitNetworkMultiple,
      redis: deps.redis,
      keyPrefix: "rl:websocket:openings",
    }),
    otherRequests,
    verify,
    revocations,
    feed,
    logger,
    execute: endpoint.execute,
    schema: gateway.schema,
    fieldSuggestions: config.env !== "production",
  });

  const port = await listen(server, deps.port ?? config.gateway.port, config.host);
  logger.info("gateway listening", { port });
  // In the background, between requests: the persisted operations' plans are ready before
  // their first caller, who would otherwise wait for the planning and be charged for it.
  const preparing = performance.now();
  void gateway.prepareAhead(persisted.texts()).then(
    (count) => count > 0 && logger.info("persisted operations planned", { operations: count, milliseconds: Math.round(performance.now() - preparing) }),
    (error: unknown) => logger.warn("persisted operations not planned ahead", { error: String(error) }),
  );
  return {
    url: `${httpOrigin(config.host, port)}/graphql`,
    port,
    async close() {
      // Load balancers keep sending until they see readiness fail (a probe period or two) or
      // hear of the stop: a server that stopped accepting at once reset the requests queued for
      // it meanwhile (5 of 30 concurrent searches when SIGTERM came 150 ms in).
      stopping = true;
      if (config.gateway.shutdownDelayMs > 0) {
        logger.info("not ready; serving until the shutdown delay ends", { milliseconds: config.gateway.shutdownDelayMs });
        await new Promise((resolve) => setTimeout(resolve, config.gateway.shutdownDelayMs));
      }
      // The HTTP server is closing before the WebSockets are told to go: a socket lingering
      // past its protocol's end (see unread-answer-reset.ts) is cut then, not waited for.
      const serverClosed = closeServer(server);
      await subscriptions.close();
      await revocations?.stop();
      await feed.stop();
      await serverClosed;
      await apollo.stop();
      await responseCache.stop();
      await closeSubgraphPools();
      replicas.stop();
    },
  };
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}
