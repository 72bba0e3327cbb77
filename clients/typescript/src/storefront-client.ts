import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { CreateGuestCartDocument, LogOutDocument, RefreshSessionDocument } from "./generated/graphql.js";
import { describeOperation, requestBody, type OperationRequest } from "./operation-request.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isSafeToRetry, isTransientStatus, type RetryPolicy } from "./retry-policy.js";
import { createSessionKeeper, type Session } from "./session.js";
import { StorefrontError } from "./storefront-error.js";
import { createSubscriptions, type SubscriptionHandlers, type SubscriptionOptions } from "./subscriptions.js";

export interface StorefrontClientOptions {
  /** The gateway's GraphQL endpoint, for example http://127.0.0.1:4000/graphql. */
  url: string;
  /** Where subscriptions connect; defaults to `url` with ws: or wss:. */
  webSocketUrl?: string;
  /** A session kept from before (for example in the app's secure storage). */
  session?: Session;
  /** Called whenever the session changes: signed in, renewed, or ended (undefined). Save it here. */
  onSessionChange?: (session: Session | undefined) => void;
  /** A guest cart token kept from before (see `guestCartToken()`). */
  cartToken?: string;
  /** Called whenever the guest cart token changes: created, or dropped (undefined). Save it here. */
  onCartTokenChange?: (token: string | undefined) => void;
  retry?: Partial<RetryPolicy>;
  /** Send golden operations by persisted id only (a gateway with PERSISTED_OPERATIONS_PATH). */
  hashOnly?: boolean;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  subscriptions?: SubscriptionOptions;
}

/** Variables are optional exactly when every variable of the operation is. */
export type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * The storefront's client: typed calls of the generated documents, the session renewed with
 * its refresh token when the gateway refuses an expired access token, transient failures
 * retried only for operations that are safe to repeat, and live subscriptions that reconnect.
 */
export function createStorefrontClient(options: StorefrontClientOptions) {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const sessions = createSessionKeeper({
    initial: options.session,
    onChange: options.onSessionChange,
    refresh: async (refreshToken) => {
      const { refreshToken: renewed } = await execute(RefreshSessionDocument, { refreshToken }, { authenticated: false });
      return { accessToken: renewed.accessToken, refreshToken: renewed.refreshToken };
    },
    isRefusal: (error) => !(error instanceof StorefrontError) || !isTransientFailure(error),
  });

  async function post<T>(request: OperationRequest, variables: unknown, token: string | undefined): Promise<{ status: number; answer: GraphQLAnswer<T>; retryAfter?: number }> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/graphql-response+json, application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    // Sent with every operation, signed in or not: the gateway uses it for guests' carts and
    // for the merge at logIn/signUp, and ignores it for a signed-in customer's cart.
    if (cartToken) headers["x-cart-token"] = cartToken;
    let response: Response;
    try {
      response = await fetchImpl(options.url, { method: "POST", headers, body: requestBody(request, variables, options.hashOnly ?? false) });
    } catch (cause) {
      throw new StorefrontError("NETWORK_ERROR", `No answer from the gateway for ${request.operationName ?? "the operation"}`, { operationName: request.operationName, cause });
    }
    const retryAfterHeader = Number(response.headers.get("retry-after"));
    let answer: GraphQLAnswer<T>;
    try {
      answer = (await response.json()) as GraphQLAnswer<T>;
    } catch (cause) {
      answer = { errors: [{ message: `The gateway answered ${response.status} without a GraphQL body`, extensions: { code: response.status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_RESPONSE" } }] };
      void cause;
    }
    return { status: response.status, answer, retryAfter: Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : undefined };
  }

  function failure(request: OperationRequest, status: number, answer: GraphQLAnswer<unknown>, retryAfter?: number): StorefrontError {
    const first = answer.errors?.[0];
    const extensions = first?.extensions ?? {};
    const code = typeof extensions.code === "string" ? extensions.code : status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_RESPONSE";
    const retryAfterSeconds = typeof extensions.retryAfterSeconds === "number" ? extensions.retryAfterSeconds : retryAfter;
    return new StorefrontError(code, first?.message ?? `The gateway answered ${status}`, { operationName: request.operationName, status, extensions, retryAfterSeconds });
  }

  async function execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables | undefined,
    { authenticated }: { authenticated: boolean },
  ): Promise<TResult> {
    const request = describeOperation(document);
    const retryable = isSafeToRetry(request.operation, request.operationName, variables);
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      let error: StorefrontError;
      try {
        const token = authenticated ? await sessions.accessToken() : undefined;
        const { status, answer, retryAfter } = await post<TResult>(request, variables, token);
        if (!answer.errors?.length && answer.data) return answer.data;
        error = failure(request, status, answer, retryAfter);
        // A token the gateway refuses never becomes valid: forget it, so the next guest cart
        // operation starts a new cart instead of failing forever.
        if (error.code === "BAD_USER_INPUT" && error.details.extensions?.header === "X-Cart-Token") setCartToken(undefined);
      } catch (thrown) {
        if (!(thrown instanceof StorefrontError)) throw thrown;
        error = thrown;
      }
      // An access token refused: renew the session once and send again. Not a retry: the
      // operation never ran.
      if (error.code === "UNAUTHENTICATED" && authenticated && !renewed && sessions.current) {
        renewed = true;
        attempt--;
        if (await sessions.renew()) continue;
      }
      // SERVICE_UNAVAILABLE: a service was down, past its deadline, or too busy to start the
      // operation (reason OVERLOADED); an idempotent mutation sent again under its key is safe.
      if (!isTransientFailure(error) || !retryable || attempt >= policy.maxAttempts) throw error;
      const hintMs = error.details.retryAfterSeconds !== undefined ? error.details.retryAfterSeconds * 1000 : undefined;
      if (hintMs !== undefined && hintMs > policy.maxRetryAfterMs) throw error;
      // Up to half the hint again: the clients a busy service refused together come back spread out.
      const waitMs = hintMs !== undefined ? hintMs * (1 + Math.random() / 2) : backoffDelayMs(policy, attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  let cartToken = options.cartToken;
  let creatingCart: Promise<string> | undefined;
  function setCartToken(token: string | undefined): void {
    if (token === cartToken) return;
    cartToken = token;
    options.onCartTokenChange?.(token);
  }

  const subscriptions = createSubscriptions({
    url: options.webSocketUrl ?? options.url.replace(/^http/, "ws"),
    accessToken: () => sessions.accessToken(),
    renew: () => sessions.renew(),
    ...options.subscriptions,
  });

  function setSession(session: Session | undefined): void {
    sessions.set(session);
    if (session) setCartToken(undefined);
    subscriptions.reconnect();
  }

  return {
    /**
     * Runs a query or mutation and resolves with its typed data; rejects with a
     * StorefrontError carrying the gateway's error code.
     */
    request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...[variables]: VariablesArgument<TVariables>): Promise<TResult> {
      return execute(document, variables, { authenticated: true });
    },
    /**
     * Follows a subscription: `next` for every result (the gateway sends the current state
     * first, also after a reconnect), `error` once for a refusal, `complete` when the stream
     * ends. Returns the function that stops it.
     */
    subscribe<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, handlers: SubscriptionHandlers<TResult>): () => void {
      return subscriptions.subscribe(describeOperation(document), variables, handlers);
    },
    /** The current session, if signed in. */
    get session(): Session | undefined {
      return sessions.current;
    },
    /**
     * Sets (after logIn or signUp) or clears (after logOut) the session. Signing in forgets
     * the guest cart token: the logIn or signUp that carried it merged the guest cart into the
     * customer's cart.
     */
    setSession,
    /**
     * Signs out: ends the session on the server (its refresh tokens stop working, its access
     * tokens are refused and its sockets close) and forgets it here. Forgotten here whatever
     * the server answers, so a shared device is signed out even offline; resolves whether the
     * server ended the session (false: it could not be reached, or did not know the token). An
     * answer lost on the way is asked for again: the server answers a session it ended already
     * as it answered the first try.
     */
    async logOut(): Promise<boolean> {
      const session = sessions.current;
      if (!session) return false;
      try {
        // Keyed by the refresh token alone: an expired access token must not renew (and so
        // rotate) the very session being ended.
        return (await execute(LogOutDocument, { refreshToken: session.refreshToken }, { authenticated: false })).logOut;
      } catch {
        return false;
      } finally {
        if (sessions.current === session) setSession(undefined);
      }
    },
    /**
     * The guest cart token, created on first use (createGuestCart) for a shopper who is not
     * signed in; it then travels with every request as `X-Cart-Token`. Call it before the
     * first cart operation of a guest.
     */
    guestCartToken(): Promise<string> {
      if (cartToken) return Promise.resolve(cartToken);
      // Two cart operations started at once share one new cart.
      creatingCart ??= execute(CreateGuestCartDocument, {}, { authenticated: false })
        .then(({ createGuestCart }) => {
          setCartToken(createGuestCart.token);
          return createGuestCart.token;
        })
        .finally(() => {
          creatingCart = undefined;
        });
      return creatingCart;
    },
    /** The guest cart token in use, if any. */
    get cartToken(): string | undefined {
      return cartToken;
    },
    /** Closes the subscription connection. */
    dispose(): Promise<void> {
      return subscriptions.dispose();
    },
  };
}

export type StorefrontClient = ReturnType<typeof createStorefrontClient>;

/** A failure that says "try again" rather than "no": nothing answered, a service down or busy, a rate limit. */
function isTransientFailure(error: StorefrontError): boolean {
  return error.code === "NETWORK_ERROR" || error.code === "RATE_LIMITED" || error.code === "SERVICE_UNAVAILABLE" || (error.details.status !== undefined && isTransientStatus(error.details.status));
}
