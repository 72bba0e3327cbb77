import type { Server } from "node:http";
import { randomUUID } from "node:crypto";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { ErrorCode, type Identity, type Logger } from "#kernel";
import type { AccessTokenVerifier } from "../auth/access-token-verifier.js";
import { authenticate } from "../auth/authenticate-request.js";
import { subscriptionToQuery, STATUS_PROBE_ALIAS } from "./subscription-to-query.js";
import { createAsyncQueue } from "./async-signal-queue.js";
import type { OrderStatusFeed } from "./order-status-feed.js";

const FINAL_STATUSES = new Set(["DELIVERED", "CANCELLED", "PAYMENT_FAILED"]);

export type RunQuery = (query: DocumentNode, variables: Record<string, unknown> | undefined, identity: Identity, requestId: string) => Promise<ExecutionResult>;

type ConnectionExtra = Record<PropertyKey, unknown> & {
  identity?: Identity;
};

/**
 * Serves `orderStatusChanged` over graphql-ws on the gateway's own port. On subscribe it
 * answers at once with the order's current state, then re-runs the client's selection
 * through the gateway on every status change, and completes after a final status, so a
 * late or reconnecting client never misses where its order ended up. Only the owner gets
 * anything: the query runs as the subscriber and `order(id)` hides other users' orders.
 */
export function attachLiveOrderSubscriptions(options: {
  httpServer: Server;
  path: string;
  schema: () => GraphQLSchema;
  verify: AccessTokenVerifier;
  feed: OrderStatusFeed;
  runQuery: RunQuery;
  logger: Logger;
}) {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  const fail = (code: string, message: string): ExecutionResult => ({ errors: [new GraphQLError(message, { extensions: { code } })] });

  const disposable = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema: () => options.schema(),
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          (ctx.extra as ConnectionExtra).identity = await authenticate(options.verify, typeof header === "string" ? header : undefined);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) => ({ identity: (ctx.extra as ConnectionExtra).identity }),
      subscribe: (args) => {
        const identity = (args.contextValue as ConnectionExtra).identity;
        if (!identity) return fail(ErrorCode.UNAUTHENTICATED, "Sign in to follow an order");
        const rewritten = subscriptionToQuery(args.document, args.operationName);
        if ("error" in rewritten) return fail(ErrorCode.BAD_USER_INPUT, rewritten.error);
        const variables = (args.variableValues ?? undefined) as Record<string, unknown> | undefined;
        const orderIdArg = rewritten.field.arguments?.find((a) => a.name.value === "orderId")?.value;
        const orderId =
          orderIdArg?.kind === "Variable" ? variables?.[orderIdArg.name.value] : orderIdArg?.kind === "StringValue" ? orderIdArg.value : undefined;
        if (typeof orderId !== "string") return fail(ErrorCode.BAD_USER_INPUT, "orderId is required");
        return liveResults(orderId, rewritten.query, variables, identity);
      },
    },
    wsServer,
  );

  async function* liveResults(orderId: string, query: DocumentNode, variables: Record<string, unknown> | undefined, identity: Identity): AsyncGenerator<ExecutionResult> {
    const changes = createAsyncQueue<string>();
    // Listen before the first read, so a change landing in between is not lost.
    const stopListening = options.feed.listen(orderId, (change) => changes.push(change.to));
    try {
      let lastSent = "";
      for (;;) {
        const result = await options.runQuery(query, variables, identity, randomUUID());
        const order = (result.data as Record<string, Record<string, unknown> | null> | undefined)?.orderStatusChanged;
        if (!order) {
          yield result.errors?.length ? { errors: result.errors } : fail(ErrorCode.NOT_FOUND, `Order ${orderId} was not found`);
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
        if ((await changes.next()) === undefined) return;
      }
    } finally {
      stopListening();
      changes.close();
    }
  }

  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
