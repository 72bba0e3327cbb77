import { createClient, type Client } from "graphql-ws";
import type { OperationRequest } from "./operation-request.js";
import { AUTH_CLOSE_CODES, StorefrontError, subscriptionAuthError } from "./storefront-error.js";

export interface SubscriptionHandlers<TResult> {
  next(data: TResult): void;
  /** Called at most once, with the reason the stream stopped early; nothing follows it. */
  error?(error: StorefrontError): void;
  /** The stream ended normally (for an order: it reached a final status). */
  complete?(): void;
  /** The connection dropped, or the stream failed for a moment, and the client is subscribing again; the next result is the current state. */
  reconnecting?(): void;
  /**
   * A result came with errors the stream goes on after: data in part (`next` got what came),
   * or a failure the gateway is retrying (a subgraph down). Keep showing what you have.
   */
  problem?(error: StorefrontError): void;
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

/** Codes that say "not now": the stream is followed on (or subscribed again), never ended. */
/**
 * The gateway's close when the socket's token stopped being accepted: it expired (a socket
 * ends when its token does), or its session ended. Subscribed again once, a new socket signs in
 * with the session's renewed token; an ended session renews nothing, and fails for good.
 */
const TOKEN_NO_LONGER_ACCEPTED = 4401;

const TRANSIENT_CODES: ReadonlySet<string> = new Set(["SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "RATE_LIMITED", "NETWORK_ERROR"]);

const isCloseEvent = (value: unknown): value is CloseEventLike =>
  typeof value === "object" && value !== null && typeof (value as CloseEventLike).code === "number";

/**
 * One graphql-ws connection for all of a client's subscriptions, opened with the first and
 * closed after the last. A dropped connection is reopened and every running subscription is
 * sent again; the gateway answers an order subscription with the order's current state first,
 * so a subscriber resumes from where the order is, not from where the drop left it. A refused
 * access token is never retried in silence: the subscription fails at once with the reason.
 */
export function createSubscriptions(
  options: SubscriptionOptions & {
    url: string;
    accessToken: () => Promise<string | undefined>;
    /** Renews the session (its refresh token) before a socket closed 4401 is reopened. */
    renew?: () => Promise<unknown>;
  },
) {
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

  const retryAttempts = options.retryAttempts ?? 10;
  const retryDelayMs = (attempt: number) => Math.min(10_000, retryBaseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);

  return {
    /**
     * Follows one subscription until it completes, fails for good or is stopped. A result with
     * errors ends it only when the errors are not transient (NOT_FOUND, UNAUTHENTICATED, ...):
     * data in part is delivered and the problem reported, a transient failure is reported and
     * the stream followed on. A transient refusal, a connection that did not come back, or a
     * stream the gateway ended right after a transient failure is subscribed again with backoff
     * (`retryAttempts` in a row), and the gateway answers with the current state.
     */
    subscribe<TResult>(request: OperationRequest, variables: unknown, handlers: SubscriptionHandlers<TResult>): () => void {
      let done = false;
      let stop: (() => void) | undefined;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let attempts = 0;
      let generation = 0;
      // Set when a 4401 made us subscribe again with a renewed token, cleared by the next result:
      // a second 4401 before any result means the session cannot be renewed.
      let resignedIn = false;
      const onReconnect = () => {
        if (!done) handlers.reconnecting?.();
      };
      reconnectListeners.add(onReconnect);
      const finish = () => {
        done = true;
        clearTimeout(retry);
        reconnectListeners.delete(onReconnect);
      };
      const fail = (failure: StorefrontError) => {
        finish();
        handlers.error?.(failure);
      };
      /** Subscribes again after a pause, or fails once the attempts are spent. */
      const again = (failure: StorefrontError) => {
        if (attempts >= retryAttempts) return fail(failure);
        handlers.reconnecting?.();
        retry = setTimeout(start, retryDelayMs(attempts++));
      };
      function start(): void {
        if (done) return;
        // A stream the gateway completes right after a transient failure ended early (a gateway
        // that gives up on a failing subgraph): subscribing again gets the current state.
        let endedByFailure: StorefrontError | undefined;
        const mine = ++generation;
        stop = open().subscribe<TResult>(
          {
            query: request.query,
            operationName: request.operationName,
            variables: (variables ?? {}) as Record<string, unknown>,
            ...(request.persistedId ? { extensions: { persistedQuery: { version: 1, sha256Hash: request.persistedId } } } : {}),
          },
          {
            next: (result) => {
              if (done || generation !== mine) return;
              endedByFailure = undefined;
              resignedIn = false;
              if (!result.errors?.length) {
                attempts = 0;
                if (result.data) handlers.next(result.data);
                return;
              }
              const problem = asError(result.errors, request.operationName);
              if (result.data) {
                attempts = 0;
                handlers.next(result.data);
                handlers.problem?.(problem);
              } else if (TRANSIENT_CODES.has(problem.code)) {
                endedByFailure = problem;
                handlers.problem?.(problem);
              } else {
                stop?.();
                fail(problem);
              }
            },
            error: (thrown) => {
              if (done || generation !== mine) return;
              if (isCloseEvent(thrown) && thrown.code === TOKEN_NO_LONGER_ACCEPTED && !resignedIn) {
                // The access token lives minutes, a followed order days: the page goes on
                // with the renewed session, from the order's current state.
                resignedIn = true;
                handlers.reconnecting?.();
                // A token still in date may be refused too (its session's marks lost with the
                // gateway's store): renewed first, as a refused HTTP call's is.
                if (!options.renew) return start();
                void options.renew().then(start, start);
                return;
              }
              const failure = asError(thrown, request.operationName);
              if (TRANSIENT_CODES.has(failure.code)) again(failure);
              else fail(failure);
            },
            complete: () => {
              if (done || generation !== mine) return;
              if (endedByFailure) return again(endedByFailure);
              finish();
              handlers.complete?.();
            },
          },
        );
      }
      start();
      return () => {
        if (done) return;
        finish();
        stop?.();
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
