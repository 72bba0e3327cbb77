// The gateway's WebSocket endpoint alone, on port 0, over a scripted gateway: tests choose what
// an operation's execution does and see what the endpoint does around it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parse, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { createGuardedServer, createLogger, issueAccessToken, type ConnectionGuards, type Identity } from "#kernel";
import { attachGraphQLWebSocket, type ExecuteThroughGateway } from "../../src/subscriptions/graphql-websocket.js";
import type { RequestPolicy } from "../../src/security/request-policy.js";
import type { OrderStatusFeed, OrderStatusListener } from "../../src/subscriptions/order-status-feed.js";
import type { WebSocketLimits } from "../../src/subscriptions/websocket-limits.js";
import type { CallerBudget } from "../../src/rate-limit/caller-budget.js";
import { unsignedTokenVerifier } from "./unsigned-token-verifier.js";
import type { AccessTokenVerifier } from "../../src/auth/access-token-verifier.js";

const AUTH = { secret: "websocket-gateway-test-secret", issuer: "test" };

/** Every operation admitted as it comes, budgets free: what is judged here is the endpoint. */
const admitEverything = {
  admit: async ([payload]: { query: string; variables?: Record<string, unknown> }[]) => {
    const document = parse(payload!.query);
    return [{ query: payload!.query, document, operation: document.definitions[0] as OperationDefinitionNode, variables: payload!.variables ?? {}, measure: {} }];
  },
  readmit: async () => undefined,
  settle: async () => undefined,
  release: async () => undefined,
} as unknown as RequestPolicy;

export async function startWebSocketGateway(options: {
  execute: ExecuteThroughGateway;
  limits?: Partial<WebSocketLimits>;
  /** Where every socket comes from (the client network the caps count); 127.0.0.1 unless given. */
  clientAddress?: string;
  /** The budget of new sockets per caller; unlimited unless given. */
  openingBudget?: CallerBudget;
  /** The request policy every operation goes through; every operation admitted, budgets free, unless given. */
  policy?: RequestPolicy;
  /** The token verifier; unless given, tokens are taken as signed (their claims read, not checked). */
  verify?: AccessTokenVerifier;
  /** Which Host headers an upgrade may name; every one unless given. */
  acceptsHost?: (host: string | undefined) => boolean;
  /** The API schema subscriptions are validated against; unvalidated unless given. */
  schema?: GraphQLSchema;
  /** Keep "Did you mean" hints in subscription mistakes, as outside production. */
  fieldSuggestions?: boolean;
  /** The HTTP server's guards, as the gateway's own server has them; a plain server unless given. */
  guards?: ConnectionGuards;
}) {
  const listeners = new Set<OrderStatusListener>();
  const feed = { listen: (_orderId: string, listener: OrderStatusListener) => (listeners.add(listener), () => listeners.delete(listener)) } as unknown as OrderStatusFeed;
  const httpServer: Server = options.guards ? createGuardedServer(options.guards, (_req, res) => res.end()) : createServer();
  const verify = options.verify ?? unsignedTokenVerifier();
  const sockets = attachGraphQLWebSocket({
    httpServer,
    path: "/graphql",
    policy: options.policy ?? admitEverything,
    limits: { maxConnections: 100, maxConnectionsPerClient: 100, maxOperationsPerConnection: 10, maxSubscriptionsPerUser: 10, maxLiveSubscriptionBytes: 10_000_000, maxMessagesPerSecond: 100, maxBufferedBytes: 1_000_000, ...options.limits },
    maxMessageBytes: 100_000,
    clientAddress: () => options.clientAddress ?? "127.0.0.1",
    openingBudget: options.openingBudget ?? (async () => ({ allowed: true, retryAfterSeconds: 0 })),
    verify,
    feed,
    execute: options.execute,
    schema: options.schema,
    fieldSuggestions: options.fieldSuggestions,
    logger: createLogger("silent"),
    acceptsHost: options.acceptsHost,
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`,
    token: (userId: string) => issueAccessToken(AUTH, { userId, roles: ["customer"] } as Identity),
    /** Publishes a status change of the followed order to every live subscription. */
    orderChanged: () => listeners.forEach((listener) => listener({ orderId: "o1" } as never, undefined)),
    /** Live subscriptions listening to the order status feed now. */
    following: () => listeners.size,
    /** Sockets the HTTP server holds now, WebSockets and lingering ones among them. */
    sockets: () => new Promise<number>((resolve, reject) => httpServer.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    async close() {
      // As the gateway closes: the HTTP server first, so sockets lingering past their protocol's end are cut.
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await sockets.close();
      await closed;
    },
  };
}
