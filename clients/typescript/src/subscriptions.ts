import { createClient, type Client } from "graphql-ws";
import type { OperationRequest } from "./operation-request.js";
import { AUTH_CLOSE_CODES, StorefrontError, subscriptionAuthError } from "./storefront-error.js";

export interface SubscriptionHandlers<TResult> {
  next(data: TResult): void;
  /** Called at most once, with the reason the stream stopped early; nothing follows it. */
  error?(error: StorefrontError): void;
  /** The stream ended normally (for an order: it reached a final status). */
  complete?(): void;
  /** The connection dropped and the client is connecting again; the next result is the current state. */
  reconnecting?(): void;
}

export interface SubscriptionOptions {
  /** A WebSocket class where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** Reconnect attempts in a row before the stream fails (default 10). */
  retryAttempts?: number;
  /** First wait before reconnecting, doubled each time up to 10 s (default 500 ms). */
  retryBaseDelayMs?: number;
}

interface CloseEventLike {
  code: number;
  reason: string;
}

const isCloseEvent = (value: unknown): value is CloseEventLike =>
  typeof value === "object" && value !== null && typeof (value as CloseEventLike).code === "number";

/**
 * One graphql-ws connection for all of a client's subscriptions, opened with the first and
 * closed after the last. A dropped connection is reopened and every running subscription is
 * sent again; the gateway answers an order subscription with the order's current state first,
 * so a subscriber resumes from where the order is, not from where the drop left it. A refused
 * access token is never retried in silence: the subscription fails at once with the reason.
 */
export function createSubscriptions(options: SubscriptionOptions & { url: string; accessToken: () => Promise<string | undefined> }) {
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const reconnectListeners = new Set<() => void>();
  let client: Client | undefined;
  let connectedOnce = false;

  const open = (): Client =>
    (client ??= createClient({
      url: options.url,
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      connectionParams: async () => {
        const token = await options.accessToken();
        return token ? { Authorization: `Bearer ${token}` } : {};
      },
      retryAttempts: options.retryAttempts ?? 10,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, retryBaseDelayMs * 2 ** retries))),
      shouldRetry: (event) => isCloseEvent(event) && !AUTH_CLOSE_CODES.has(event.code),
      on: {
        connected: () => {
          connectedOnce = true;
        },
        closed: (event) => {
          if (connectedOnce && isCloseEvent(event) && event.code !== 1000 && !AUTH_CLOSE_CODES.has(event.code)) {
            for (const listener of reconnectListeners) listener();
          }
        },
      },
    }));

  function asError(thrown: unknown, operationName: string | undefined): StorefrontError {
    if (isCloseEvent(thrown)) {
      if (AUTH_CLOSE_CODES.has(thrown.code)) return subscriptionAuthError(thrown.code, thrown.reason, operationName);
      return new StorefrontError("NETWORK_ERROR", `The subscription connection closed (${thrown.code}${thrown.reason ? `: ${thrown.reason}` : ""}) and did not come back`, { operationName, extensions: { closeCode: thrown.code } });
    }
    if (Array.isArray(thrown)) {
      const first = thrown[0] as { message?: string; extensions?: Record<string, unknown> } | undefined;
      const code = typeof first?.extensions?.code === "string" ? first.extensions.code : "BAD_RESPONSE";
      return new StorefrontError(code, first?.message ?? "The gateway refused the subscription", { operationName, extensions: first?.extensions });
    }
    return new StorefrontError("NETWORK_ERROR", thrown instanceof Error ? thrown.message : "The subscription connection failed", { operationName, cause: thrown });
  }

  return {
    subscribe<TResult>(request: OperationRequest, variables: unknown, handlers: SubscriptionHandlers<TResult>): () => void {
      let done = false;
      const onReconnect = () => {
        if (!done) handlers.reconnecting?.();
      };
      reconnectListeners.add(onReconnect);
      const finish = () => {
        done = true;
        reconnectListeners.delete(onReconnect);
      };
      const stop = open().subscribe<TResult>(
        {
          query: request.query,
          operationName: request.operationName,
          variables: (variables ?? {}) as Record<string, unknown>,
          ...(request.persistedId ? { extensions: { persistedQuery: { version: 1, sha256Hash: request.persistedId } } } : {}),
        },
        {
          next: (result) => {
            if (done) return;
            if (result.errors?.length) {
              finish();
              stop();
              handlers.error?.(asError(result.errors, request.operationName));
              return;
            }
            if (result.data) handlers.next(result.data);
          },
          error: (thrown) => {
            if (done) return;
            finish();
            handlers.error?.(asError(thrown, request.operationName));
          },
          complete: () => {
            if (done) return;
            finish();
            handlers.complete?.();
          },
        },
      );
      return () => {
        if (done) return;
        finish();
        stop();
      };
    },
    /** Reconnects with the current access token (after signing in or out). */
    reconnect(): void {
      client?.terminate();
    },
    async dispose(): Promise<void> {
      const closing = client;
      client = undefined;
      await closing?.dispose();
    },
  };
}
