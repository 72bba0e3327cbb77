import type { IncomingMessage, Server } from "node:http";
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { GraphQLError, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { countRateLimitRefusal, countWebSocketConnection, countWebSocketSubscription, ErrorCode, isPublicErrorCode, rateLimited, rateLimitedMessage, REBOUND_HOST_MESSAGE, resetWhenCut, tooManyHeaders, type Identity, type Logger } from "#kernel";
import { InvalidTokenError, type AccessTokenVerifier } from "../auth/access-token-verifier.js";
import { authenticateToken, connectionAuthorization } from "../auth/authenticate-request.js";
import type { GatewayContext } from "../gateway-context.js";
import { PolicyRefusal, type AdmittedOperation, type OperationRequest, type RequestPolicy } from "../security/request-policy.js";
import { callerOf, networkBudget, type Caller } from "../rate-limit/caller.js";
import { OTHER_REQUESTS_BUDGET, type OtherRequestsBudget } from "../http/other-requests-budget.js";
import type { CallerBudget, CallerBudgetDecision } from "../rate-limit/caller-budget.js";
import { clientNetwork } from "#kernel/http/client-network.ts";
import { createConnectionLimiter } from "#kernel/http/connection-limiter.ts";
import { fromTrustedProxy, type ProxyTrust } from "#kernel/http/trusted-proxies.ts";
import { pageOrigin } from "#kernel/http/http-origin.ts";
import type { WebSocketLimits } from "./websocket-limits.js";
import { createSocketGuard, type SocketGuard, type SocketVerdict } from "./socket-guard.js";
import { liveOrderResults, planLiveOrder, type LiveOrderPlan } from "./live-order-results.js";
import type { OrderStatusFeed } from "./order-status-feed.js";
import { endCovers, type SessionRevocations, type TokenSession } from "../auth/session-revocations.js";
import { sentPayload, serveGraphQLOverWebSocket } from "./websocket-transport.js";
import { answerUpgradeRefusals } from "./upgrade-refusal.js";
import { traceOperation, traceSubscription, type TracedOperation } from "./websocket-spans.js";
import { stoppableResult } from "./stoppable-result.js";
import { cutUnansweredClose } from "./unanswered-close.js";
import { onProtocolEnd } from "./protocol-end.js";
import { subscriptionMistakes } from "./subscription-mistakes.js";
import { liveSubscriptionWeight, PARSED_NODE_BYTES } from "./live-subscription-weight.js";
import type { CrossOriginPages } from "../http/cross-origin-pages.js";

/** Runs one operation through the gateway (query planning, subgraphs), as the HTTP path does. */
export type ExecuteThroughGateway = (
  request: { query: string | DocumentNode; variables?: Record<string, unknown>; operationName?: string },
  context: GatewayContext,
) => Promise<ExecutionResult>;

interface ConnectionState {
  identity?: Identity;
  caller: Caller;
  clientAddress: string;
  /** Operations of this connection still running: ids, whether each is a subscription, and what stops its work. */
  active: Map<string, RunningOperation>;
}

interface RunningOperation {
  subscription: boolean;
  /** What a live subscription's text and variables hold, counted in the process's total until it ends. */
  heldBytes: number;
  /** Aborted when the operation ends, the client completes it or the socket closes: its subgraph calls are dropped. */
  stop: AbortController;
}

type Extra = { socket: WebSocket; request: IncomingMessage; state?: ConnectionState; expiry?: NodeJS.Timeout; session?: TokenSession };

/** graphql-ws's close code for a caller who is no longer authorised. */
const TOKEN_EXPIRED = 4401;

/** WebSocket's close code for a peer that broke the server's rules. */
const POLICY_VIOLATION = 1008;

/** WebSocket's close code for "try again later": a cap or budget the client may retry after. */
const TRY_AGAIN_LATER = 1013;

/**
 * Frames one message may arrive in. The socket guard counts messages, and ws parses every frame
 * of one as it comes (16,384 allowed): a ping message cut into 16,000 empty continuation frames
 * (96 KB) took 5.6 ms of the gateway's CPU against 1 ms for the same bytes in one frame, so one
 * socket within its message rate held 22% of a core, and a client's 16 sockets the whole process.
 * Browsers and graphql-ws clients send each message in one frame; this leaves a proxy room to
 * cut a 100 KB message into 1 KB pieces. Past it the socket is closed (1008).
 */
export const MAX_MESSAGE_FRAGMENTS = 100;

/**
 * Bytes a live subscription may weigh (`liveSubscriptionWeight`: its id, text and variables, and
 * its document as parsed). A subscription is kept for as long as its order is followed, its
 * text, variables and parse with it, where a query's go when it is answered: 32 subscriptions of
 * 45 KB of comment and 45 KB of unused variables grew the gateway by 6.8 MB (2.3 times what was
 * sent), so the accounts of one /48 following orders could hold 860 MB. The storefront's
 * subscription weighs 6.9 KB, one selecting every field of an order 40 KB; a selection of
 * about 200 fields fits in this.
 */
export const MAX_LIVE_SUBSCRIPTION_BYTES = 65_536;

/**
 * Characters an operation id may hold. graphql-ws clients send a UUID (36) or a counter, and
 * the server repeats the id in every message of the operation, keeps it while the operation
 * runs (a live subscription for as long as its order is followed) and never counted it: 24
 * subscriptions with ids of 90 KB were kept beside 150 bytes of text each, outside
 * MAX_LIVE_SUBSCRIPTION_BYTES and the process's WS_MAX_LIVE_SUBSCRIPTION_BYTES, and one status
 * change sent their client 2.2 MB.
 */
export const MAX_OPERATION_ID_LENGTH = 128;

/** When a subscribe refused for the process's live subscription bytes is told to come back. */
const LIVE_BYTES_RETRY_SECONDS = 5;

/** The refusal counter's budget label of each verdict. */
const REFUSAL_BUDGET: Record<SocketVerdict, string> = { flooding: "websocket_messages", oversending: "websocket_bytes", "not-reading": "websocket_unread" };

const byteLength = (data: Buffer | ArrayBuffer | Buffer[]): number => (Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength);

/** How long a socket closed for flooding may take to say goodbye before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * How often every signed-in socket's session is asked again, for a gateway that missed a
 * SessionsEnded event (the event closes them at once). The ask is the lookup HTTP makes, which
 * reads the store when its 5 s memory has lapsed: every 30 s, an idle socket costs the store a
 * read a socket every 30 s (40,000 sockets: ~1,300 reads a second, not 8,000 at every second),
 * and a missed end closes its sockets within about 35 s; every subscribe is asked at once.
 */
export const SESSION_RECHECK_MS = 30_000;

/** Sessions asked at once in a recheck: a tick of many stale entries does not burst the store. */
const RECHECK_BATCH = 64;

const SESSION_ENDED = "This session has ended (logged out, or the password was reset); sign in again";
/**
 * A WebSocket has no headers of its own: a client that put its token under another name (token,
 * headers, the URL) was told only "Sign in", although it believed it had.
 */
const SIGN_IN_TO_FOLLOW =
  'Sign in to follow an order: send {"Authorization": "Bearer <accessToken>"} as the connection_init payload (graphql-ws connectionParams)';

/** What onSubscribe hands to execute/subscribe: the admitted operation and who runs it. */
interface AdmittedContext {
  admitted: AdmittedOperation;
  gateway: GatewayContext;
  live?: LiveOrderPlan;
  traced: TracedOperation;
  stop: AbortController;
}

const refusalError = (code: string, message: string, extensions: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { code, ...extensions } });
const refusal = (...args: Parameters<typeof refusalError>) => [refusalError(...args)];

/**
 * graphql-ws on the gateway's own port, under the same request policy as HTTP: every
 * subscribe message is admitted by `policy` (size, persisted-only, strings, token limit,
 * depth/alias/cost, the caller's general budget and per-field budgets), so WebSocket is not a
 * way around any limit. On top of that, per-socket and per-caller caps: messages no larger
 * than an HTTP body, connections per client address and in total, operations in flight per
 * connection, live subscriptions per user, and what one socket may cost besides (see
 * socket-guard.ts): messages a second, and bytes queued for a client that does not read.
 *
 * Queries and mutations run through the gateway exactly as over HTTP. The one subscription,
 * `orderStatusChanged`, is served by re-running the client's selection as an `order` query
 * on every status change (see live-order-results.ts).
 */
export function attachGraphQLWebSocket(options: {
  httpServer: Server;
  path: string;
  policy: RequestPolicy;
  limits: WebSocketLimits;
  maxMessageBytes: number;
  clientAddress: (req: IncomingMessage) => string;
  /**
   * New sockets a caller may open (WS_CONNECTIONS_PER_MINUTE), charged one point a socket at
   * its connection_init, once the caller is known: a signed-in user's to that user (and the
   * network's ceiling), an anonymous socket's to its network. The caps bound what is open at
   * once, this what is opened and signed in.
   */
  openingBudget: CallerBudget;
  /**
   * The budget of what no budget of its own counts (other-requests-budget.ts): a subscribe
   * refused before the request policy charges it takes a point of its network's, and a socket
   * past it is closed 1013, as an HTTP request past it is refused. Absent, uncharged (tests).
   */
  otherRequests?: Pick<OtherRequestsBudget, "take">;
  verify: AccessTokenVerifier;
  /**
   * Ended sessions: a socket signed in with a token of one is closed (4401) when the event
   * says so, and otherwise at the next recheck or subscribe message that finds it ended.
   */
  revocations?: Pick<SessionRevocations, "onEnded" | "hasEnded">;
  /** Overrides SESSION_RECHECK_MS (tests). */
  recheckSessionsEveryMs?: number;
  feed: OrderStatusFeed;
  execute: ExecuteThroughGateway;
  /**
   * The API schema a subscription's document and variables are validated against as the client
   * wrote them (see subscription-mistakes.ts); absent, only the live query run is (tests).
   */
  schema?: GraphQLSchema;
  /** Keep graphql-js's "Did you mean" hints in a subscription's mistakes (outside production only). */
  fieldSuggestions?: boolean;
  logger: Logger;
  /** Origins besides the gateway's own host whose pages may open sockets (WS_ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** Pages of other origins allowed to call the API (CORS_ALLOWED_ORIGINS, this machine's in development): theirs too. */
  crossOriginPages?: Pick<CrossOriginPages, "allows">;
  /** Proxies in front whose X-Forwarded-Host is believed (TRUST_PROXY). */
  trustProxy?: ProxyTrust;
  /** Which Host headers an upgrade may name, as the HTTP server judges requests; every one when left out. */
  acceptsHost?: (host: string | undefined) => boolean;
}) {
  const { logger, limits } = options;
  // A message over the limit closes the socket (1009) before it is buffered whole or parsed, as
  // does one in too many frames (1008). A
  // browser page of another site is refused at the upgrade: it holds no place and spends no budget.
  // Pings are answered below, under the socket guard: ws's own answer cut a socket that had
  // more than 60 pongs unsent (a burst of pings in one packet) with no close frame (1006), and
  // a client that read its pongs could ping without limit, each ping a frame parsed and answered.
  const wsServer = new WebSocketServer({ server: options.httpServer, maxPayload: options.maxMessageBytes, maxFragments: MAX_MESSAGE_FRAGMENTS, autoPong: false });
  answerUpgradeRefusals(wsServer, options.path, (req) => {
    // An upgrade never reaches the HTTP server's request guards: judged by the same function.
    const crowded = tooManyHeaders(req);
    if (crowded) return { status: 431, code: ErrorCode.BAD_USER_INPUT, message: crowded };
    // A rebound page's socket names its own domain as both Origin and Host: the origin check passes it.
    if (options.acceptsHost && !options.acceptsHost(req.headers.host)) return { status: 403, code: ErrorCode.FORBIDDEN, message: REBOUND_HOST_MESSAGE };
    if (sameSiteOrNoBrowser(req, { allowedOrigins: options.allowedOrigins, crossOriginPages: options.crossOriginPages, trustProxy: options.trustProxy })) return undefined;
    countRateLimitRefusal("websocket_origin");
    return { status: 401, code: ErrorCode.FORBIDDEN, message: "WebSockets are opened from this site's pages (the Origin names another site)" };
  });
  const connections = createConnectionLimiter(limits);
  const subscriptionsByUser = new Map<string, number>();
  /**
   * Bytes held by every live subscription of this process, as each weighs (limits.maxLiveSubscriptionBytes):
   * the per-customer cap bounds one account, and accounts are free to make, so 2,000 of them
   * following 32 orders with 64 KB each would hold 4 GB.
   */
  let liveBytes = 0;
  const guards = new WeakMap<WebSocket, SocketGuard>();
  // Signed-in sockets by user, so a session's end closes the sockets it opened, on this gateway.
  const signedIn = new Map<string, Set<Extra>>();
  const endSession = (extra: Extra) => extra.socket.close(TOKEN_EXPIRED, SESSION_ENDED);
  const stopHearingEnds = options.revocations?.onEnded((end) => {
    for (const extra of signedIn.get(end.userId) ?? []) {
      if (extra.session && endCovers(end, extra.session)) endSession(extra);
    }
  });
  const sessionEnded = async (extra: Extra) => !!(extra.session && options.revocations && (await options.revocations.hasEnded(extra.session)));
  // The event is not the only word: a gateway whose consumer restarted or was cut off misses
  // it, and its sockets would otherwise serve the ended session until the token expires. One
  // timer for the process walks the signed-in sockets; a tick still running skips the next.
  let rechecking = false;
  const recheck = options.revocations
    ? setInterval(async () => {
        if (rechecking) return;
        rechecking = true;
        try {
          const sockets = [...signedIn.values()].flatMap((set) => [...set]);
          for (let i = 0; i < sockets.length; i += RECHECK_BATCH) {
            await Promise.all(
              sockets.slice(i, i + RECHECK_BATCH).map(async (extra) => {
                if (extra.socket.readyState === extra.socket.OPEN && (await sessionEnded(extra))) endSession(extra);
              }),
            );
          }
        } catch (error) {
          logger.warn("websocket sessions could not be rechecked", { error: error instanceof Error ? error.message : String(error) });
        } finally {
          rechecking = false;
        }
      }, options.recheckSessionsEveryMs ?? SESSION_RECHECK_MS)
    : undefined;
  recheck?.unref();
  const forget = (extra: Extra) => {
    const set = extra.session && signedIn.get(extra.session.userId);
    if (!set) return;
    set.delete(extra);
    if (set.size === 0) signedIn.delete(extra.session!.userId);
  };

  /**
   * Ends a socket the guard judged. One that does not read would never read a close frame
   * either, so it is cut at once; a flooding one is told why, and cut if it does not go.
   */
  const drop = (socket: WebSocket, verdict: SocketVerdict) => {
    if (socket.readyState !== socket.OPEN) return;
    countRateLimitRefusal(REFUSAL_BUDGET[verdict]);
    logger.warn("websocket dropped", { verdict, bufferedBytes: socket.bufferedAmount });
    if (verdict === "not-reading") return void socket.terminate();
    socket.close(
      POLICY_VIOLATION,
      verdict === "flooding" ? `Too many messages (at most ${limits.maxMessagesPerSecond} a second)` : `Too many bytes (at most ${options.maxMessageBytes} a second)`,
    );
    // Nothing more is read from it: what it sends during the grace would be received and
    // checked for nobody (the close frame goes out all the same; its answer is not awaited).
    socket.pause();
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };

  // Registered before graphql-ws's own listener: an over-cap socket is closed before it is served.
  wsServer.on("connection", (socket, request) => {
    // Ended, it lingers as a connection the server closes (what its client left unread is
    // dropped once the linger is over); cut, it is reset at once.
    resetWhenCut(request.socket as Socket);
    cutUnansweredClose(socket);
    const network = clientNetwork(options.clientAddress(request));
    const slot = connections.open(network);
    if (!slot) {
      socket.close(TRY_AGAIN_LATER, "Too many connections; try again later");
      return;
    }
    // Given back when the protocol ends, not when the TCP socket behind it is done lingering.
    onProtocolEnd(socket, request.socket as Socket, slot.release);
    // Nothing is charged here: who opened the socket is known at its connection_init (see
    // onConnect). Until then it holds one of the capped places, for at most graphql-ws's 3 s.
    onProtocolEnd(socket, request.socket as Socket, countWebSocketConnection());
    // Registered before graphql-ws's own message listener: judged before it is handled.
    // A socket may send as many bytes a second as the largest message it may send.
    const guard = createSocketGuard({ ...limits, maxBytesPerSecond: options.maxMessageBytes });
    guards.set(socket, guard);
    const judge = (data: Buffer | ArrayBuffer | Buffer[]) => {
      const verdict = guard.onMessage(socket.bufferedAmount, byteLength(data));
      if (verdict) drop(socket, verdict);
      return verdict;
    };
    socket.on("message", judge);
    // A ping or pong frame is a message too: browsers never send them, and the keep-alive's
    // answers come one every KEEP_ALIVE_MS. A ping is answered only within the socket's rate.
    socket.on("ping", (data) => {
      if (!judge(data) && socket.readyState === socket.OPEN) socket.pong(data);
    });
    socket.on("pong", judge);
  });

  /**
   * Takes a point of the socket's network's budget of other requests for a message the request
   * policy does not charge: answers the refusal, counted, once that budget is spent.
   */
  const otherRequestSpent = async (extra: Extra): Promise<PolicyRefusal | undefined> => {
    if (!extra.state || !options.otherRequests) return undefined;
    const decision = await options.otherRequests.take(networkBudget(extra.state.caller)).catch(() => undefined);
    if (!decision || decision.allowed) return undefined;
    countRateLimitRefusal(OTHER_REQUESTS_BUDGET);
    return new PolicyRefusal(
      429,
      ErrorCode.RATE_LIMITED,
      rateLimitedMessage("requests", decision.retryAfterSeconds),
      { retryAfterSeconds: decision.retryAfterSeconds, budget: OTHER_REQUESTS_BUDGET },
      decision.retryAfterSeconds,
    );
  };

  /**
   * A subscribe refused before the request policy charges anything: a point of its network's
   * budget of other requests, and past it the socket ends (1013) once that refusal is sent.
   * 16 sockets of one address sent 700 such refusals a second (ids of 129 characters), 0.2 ms
   * of CPU each, 14% of a core, with every socket kept open.
   */
  const chargedRefusal = async (extra: Extra, error: GraphQLError): Promise<GraphQLError[]> => {
    const spent = await otherRequestSpent(extra);
    if (!spent) return [error];
    closeAfterBudgetRefusal(extra.socket, spent);
    return [spent.toGraphQLError()];
  };

  const chargeOpening = (caller: Caller): Promise<CallerBudgetDecision> =>
    options.openingBudget(caller).catch((error: unknown) => {
      // The limiter keeps its own insurance; a failure past that lets the socket in, as HTTP does.
      logger.warn("websocket opening budget could not be read", { error: error instanceof Error ? error.message : String(error) });
      return { allowed: true, retryAfterSeconds: 0 };
    });

  const release = (state: ConnectionState, id: string) => {
    const operation = state.active.get(id);
    if (!operation) return;
    state.active.delete(id);
    operation.stop.abort();
    liveBytes -= operation.heldBytes;
    if (operation.subscription && state.identity) {
      countWebSocketSubscription(-1);
      const left = (subscriptionsByUser.get(state.identity.userId) ?? 1) - 1;
      if (left > 0) subscriptionsByUser.set(state.identity.userId, left);
      else subscriptionsByUser.delete(state.identity.userId);
    }
  };

  // As over HTTP, a client that goes away (or completes the operation) stops the subgraph calls
  // made for it: nobody reads what they would bring back.
  const contextOf = (state: ConnectionState, signal: AbortSignal): GatewayContext => ({
    requestId: randomUUID(),
    identity: state.identity,
    caller: state.caller,
    clientAddress: state.clientAddress,
    signal,
    planning: new Map(),
  });

  async function executeAdmitted(args: ExecutionArgs): Promise<ExecutionResult> {
    const { admitted, gateway } = args.contextValue as AdmittedContext;
    try {
      // The text as the client sent it, not the parsed document: Apollo prints a document back
      // to text, and a validation error's line and column would then point into that print.
      const result = await options.execute({ query: admitted.query, variables: admitted.variables, operationName: admitted.operationName }, gateway);
      // Charged its measure at the subscribe: what the answer did not cost goes back.
      await options.policy.settle(admitted, admitted.charged, result, plannedMs(gateway));
      return result;
    } catch (error) {
      logger.error("websocket operation failed", { requestId: gateway.requestId, error: error instanceof Error ? error.stack : String(error) });
      return { errors: [new GraphQLError("Something went wrong on our side; please try again", { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
    }
  }

  const disposable = serveGraphQLOverWebSocket<Extra>(
    wsServer,
    {
      onConnect: async (ctx) => {
        const clientAddress = options.clientAddress(ctx.extra.request);
        try {
          const header = connectionAuthorization(ctx.connectionParams);
          const verified = await authenticateToken(options.verify, header);
          const identity = verified?.identity;
          const caller = callerOf(identity, clientNetwork(clientAddress));
          // Within the cap on open sockets, one network could still open, sign in and close
          // about a thousand a second (attack run 1): each signed-in opening spends a point of
          // its user's budget, an anonymous one of its network's. Charged to the network
          // whoever opened it, 125 sockets without a token refused every customer there
          // (attack run 3, F3).
          const opening = await chargeOpening(caller);
          if (!opening.allowed) {
            countRateLimitRefusal("websocket_connections");
            ctx.extra.socket.close(TRY_AGAIN_LATER, openingRefusal(opening, caller));
            return false;
          }
          // Gone while it was judged: nothing is kept for it (its close has been handled).
          if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
          ctx.extra.state = { identity, caller, clientAddress, active: new Map() };
          // The token was checked once, here: the connection ends at the moment HTTP starts
          // refusing the token, so a socket never outlives the authorisation it was opened with.
          if (verified && identity) {
            closeAtExpiry(ctx.extra, verified.refusedFromMs);
            ctx.extra.session = verified.session;
            let set = signedIn.get(identity.userId);
            if (!set) signedIn.set(identity.userId, (set = new Set()));
            set.add(ctx.extra);
          }
          return true;
        } catch (error) {
          // graphql-ws would close with a bare "Forbidden": say why, as HTTP's 401/503 does.
          const unjudged = !(error instanceof InvalidTokenError);
          if (unjudged) logger.warn("websocket token could not be verified", { error: error instanceof Error ? error.message : String(error) });
          else {
            // A refused sign-in is an anonymous opening of its network: uncharged, a forged or
            // malformed token looped open, init and close unbudgeted (the review of attack run 3's fix).
            const anonymous = callerOf(undefined, clientNetwork(clientAddress));
            const opening = await chargeOpening(anonymous).catch(() => ({ allowed: true }) as CallerBudgetDecision);
            if (!opening.allowed) {
              countRateLimitRefusal("websocket_connections");
              ctx.extra.socket.close(TRY_AGAIN_LATER, openingRefusal(opening, anonymous));
              return false;
            }
          }
          ctx.extra.socket.close(unjudged ? 1013 : error.renewable ? TOKEN_EXPIRED : 4403, unjudged ? "Signing in is unavailable for a moment; retry" : error.message);
          return false;
        }
      },
      // A graphql-ws ping is answered (graphql-ws sends the pong) and charged like a refusal:
      // no client of the platform sends one (the server pings), and 16 sockets of one address
      // had 720 a second answered, 6% of a core, within the message rate and spending nothing.
      onPing: async (ctx) => {
        const spent = await otherRequestSpent(ctx.extra);
        if (spent) closeAfterBudgetRefusal(ctx.extra.socket, spent);
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = ctx.extra.state;
        // A socket being dropped does no more work, whatever is still in its pipe.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return refusal(ErrorCode.RATE_LIMITED, "This connection is closing");
        if (!state) return refusal(ErrorCode.UNAUTHENTICATED, "Initialise the connection first");
        // Refused before anything is held for it (its refusal repeats the id once).
        if (id.length > MAX_OPERATION_ID_LENGTH) {
          return chargedRefusal(ctx.extra, refusalError(ErrorCode.BAD_USER_INPUT, `An operation id holds at most ${MAX_OPERATION_ID_LENGTH} characters (a UUID holds 36)`, { limit: MAX_OPERATION_ID_LENGTH }));
        }
        if (state.active.size >= limits.maxOperationsPerConnection) {
          countRateLimitRefusal("websocket_operations");
          return chargedRefusal(ctx.extra, rateLimited(`operations at once on this connection (at most ${limits.maxOperationsPerConnection})`, 1));
        }
        if (state.active.has(id)) return chargedRefusal(ctx.extra, refusalError(ErrorCode.BAD_USER_INPUT, "An operation with this id is already running on this connection"));
        // The place is taken before anything is awaited: subscribes arriving in one burst are
        // each counted against the cap, not all judged against the size before any of them.
        const slot: RunningOperation = { subscription: false, heldBytes: 0, stop: new AbortController() };
        state.active.set(id, slot);
        let kept = false;
        let admitted: AdmittedOperation | undefined;
        try {
          // Asked before the policy, so an ended session spends no budget either.
          if (await sessionEnded(ctx.extra)) {
            endSession(ctx.extra);
            return refusal(ErrorCode.UNAUTHENTICATED, SESSION_ENDED);
          }
          // As the client sent it: a payload of the wrong shape is refused here, for this operation alone.
          [admitted] = await options.policy.admit([sentPayload(payload) as OperationRequest], state.caller, "websocket");
          // Closed (or its place released) while being judged: nothing more runs for it.
          if (state.active.get(id) !== slot || ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return refusal(ErrorCode.RATE_LIMITED, "This connection is closing");
          const subscription = admitted!.operation.operation === "subscription";
          let live: LiveOrderPlan | undefined;
          if (subscription) {
            if (!state.identity) return refusal(ErrorCode.UNAUTHENTICATED, SIGN_IN_TO_FOLLOW);
            const held = liveSubscriptionWeight(id, admitted!.query, admitted!.variables, admitted!.document);
            if (held > MAX_LIVE_SUBSCRIPTION_BYTES) {
              return refusal(
                ErrorCode.BAD_USER_INPUT,
                `A subscription is kept while it is followed: its id, text, variables and their parse weigh at most ${MAX_LIVE_SUBSCRIPTION_BYTES} bytes together (these weigh ${held}, each field selected about ${2 * PARSED_NODE_BYTES}): select fewer fields`,
                { limit: MAX_LIVE_SUBSCRIPTION_BYTES },
              );
            }
            const mistakes = options.schema && subscriptionMistakes(options.schema, admitted!, { fieldSuggestions: options.fieldSuggestions });
            if (mistakes) return [...mistakes];
            const plan = planLiveOrder(admitted!.document, admitted!.operationName, admitted!.variables);
            if ("error" in plan) return refusal(ErrorCode.BAD_USER_INPUT, plan.error);
            live = plan;
            const following = subscriptionsByUser.get(state.identity.userId) ?? 0;
            if (following >= limits.maxSubscriptionsPerUser) {
              countRateLimitRefusal("websocket_subscriptions");
              return [rateLimited(`live subscriptions for this customer (at most ${limits.maxSubscriptionsPerUser})`, 1)];
            }
            if (liveBytes + held > limits.maxLiveSubscriptionBytes) {
              countRateLimitRefusal("websocket_live_bytes");
              return refusal(ErrorCode.SERVICE_UNAVAILABLE, "This server follows as many orders as it can hold now; subscribe again in a moment", {
                retryAfterSeconds: LIVE_BYTES_RETRY_SECONDS,
                limit: limits.maxLiveSubscriptionBytes,
              });
            }
            liveBytes += held;
            slot.heldBytes = held;
            subscriptionsByUser.set(state.identity.userId, following + 1);
            countWebSocketSubscription(1);
            slot.subscription = true;
          }
          kept = true;
          const traced: TracedOperation = { type: admitted!.operation.operation, name: admitted!.operationName };
          const contextValue: AdmittedContext = { admitted: admitted!, gateway: contextOf(state, slot.stop.signal), live, traced, stop: slot.stop };
          // The schema is not used: execution is ours (execute/subscribe below) and goes through the gateway.
          return { schema: undefined as never, document: admitted!.document, operationName: admitted!.operationName, variableValues: admitted!.variables, contextValue };
        } catch (error) {
          if (error instanceof PolicyRefusal) {
            if (error.callerSpent) closeAfterBudgetRefusal(ctx.extra.socket, error);
            return [error.toGraphQLError()];
          }
          logger.error("websocket subscribe failed", { error: error instanceof Error ? error.stack : String(error) });
          return refusal(ErrorCode.INTERNAL_SERVER_ERROR, "Something went wrong on our side; please try again");
        } finally {
          if (!kept && state.active.get(id) === slot) state.active.delete(id);
          // Admitted but refused since: it runs nothing, so it holds and spends nothing.
          if (!kept && admitted) await options.policy.release(admitted);
        }
      },
      execute: (args) => {
        const { traced, stop } = args.contextValue as AdmittedContext;
        return stoppableResult(() => traceOperation(traced, () => executeAdmitted(args)), stop);
      },
      subscribe: (args) => {
        const { admitted, gateway, live, traced } = args.contextValue as AdmittedContext;
        // The text every read runs, as Apollo Server prints the plan's document to run it.
        const runs = print(live!.query);
        return liveOrderResults({
          plan: live!,
          variables: admitted.variables,
          context: gateway,
          feed: options.feed,
          execute: options.execute,
          // Each re-read is charged as the subscribe was: the same budgets, the same refusals,
          // and a planning deposit when the gateway has let the live query's plan go.
          charge: () => options.policy.readmit(admitted, gateway.caller, runs),
          // The first read is the subscribe's, charged at its admission with a planning deposit
          // (the subscription's text is never the one planned): settled, as over HTTP, to what
          // planning the live query took. Given back whole, a new text for each subscribe was
          // planned for free: 47 ms of the gateway's CPU a subscribe, at 600 a minute a customer.
          // A re-read settles its own deposit the same way: its text evicted from the 2,000
          // plans kept (by other texts) was planned again on every status change, uncharged.
          settle: (charged, result, first, read) => options.policy.settle(admitted, first ? admitted.charged : charged, result, plannedMs(read)),
          trace: traceSubscription(traced),
        });
      },
      onComplete: (ctx, id) => {
        if (ctx.extra.state) release(ctx.extra.state, id);
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        forget(ctx.extra);
        const state = ctx.extra.state;
        if (state) for (const id of [...state.active.keys()]) release(state, id);
      },
      // Results are already formatted (coded, masked) by the gateway's error formatter: send them as they are.
      onNext: (ctx, _id, _payload, args, result) => {
        const verdict = guards.get(ctx.extra.socket)?.onSend(ctx.extra.socket.bufferedAmount);
        if (verdict) drop(ctx.extra.socket, verdict);
        // A live answer's errors were located in the order query the gateway printed, not in the
        // client's subscription: their paths (the client's response keys) say where they are.
        if ((args.contextValue as AdmittedContext | undefined)?.live && result.errors) return { ...result, errors: result.errors.map(unlocated) };
        return { ...result };
      },
      // Only coded, public errors reach the client; anything else is masked like over HTTP.
      onError: (_ctx, _id, _payload, errors) => errors.map(publicError),
    },
    logger,
    (socket, request) => ({ socket, request }),
  );

  return {
    async close() {
      stopHearingEnds?.();
      clearInterval(recheck);
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

/**
 * Whether a WebSocket upgrade may be served: it has no Origin (not a browser: an app, a server)
 * or one naming the host it was sent to, or a page the HTTP API lets read its answers (CORS:
 * a named origin, this machine's pages in development). Browsers let any page open a WebSocket anywhere, Origin
 * being the one thing they guarantee: a page of another site opened 16 anonymous sockets from
 * each visitor's browser, the whole of its address's WS_MAX_CONNECTIONS_PER_CLIENT, and the
 * storefront's live order page of everyone behind that address was refused for as long as the
 * page stayed open (the browser answers the keep-alive pings). Exported for tests.
 */
export function sameSiteOrNoBrowser(
  request: IncomingMessage,
  options: { allowedOrigins?: readonly string[]; crossOriginPages?: Pick<CrossOriginPages, "allows">; trustProxy?: ProxyTrust } = {},
): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const url = pageOrigin(origin);
  if (!url) return false;
  if (options.allowedOrigins?.includes(url.origin)) return true;
  // A page that may read the API's answers over HTTP gains nothing by being refused its sockets.
  if (options.crossOriginPages?.allows(origin)) return true;
  // The host the browser asked: behind a trusted proxy that rewrites Host (nginx's default, a
  // CDN), the one it forwards; a client's own X-Forwarded-Host is not believed otherwise.
  const forwarded = fromTrustedProxy(request.socket?.remoteAddress, options.trustProxy) ? headerValue(request.headers["x-forwarded-host"])?.split(",")[0]?.trim() : undefined;
  // URL drops a scheme's default port; a Host header may carry it.
  const defaultPort = url.protocol === "https:" ? ":443" : ":80";
  return [request.headers.host, forwarded].some((host) => host !== undefined && host !== "" && (url.host === host.toLowerCase() || `${url.host}${defaultPort}` === host.toLowerCase()));
}

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The close reason of a refused opening: whose budget it was, and when to retry. */
function openingRefusal(decision: CallerBudgetDecision, caller: Caller): string {
  const whose = decision.refusedBy === "caller" && caller.key !== caller.network ? "for this account" : "from this network";
  return `Too many new connections ${whose}; retry in ${decision.retryAfterSeconds} s`;
}

/**
 * Ends a socket whose subscribe was refused because its caller can run nothing now (its general
 * or cost budget is spent), once the refusal has been sent, as HTTP ends the connection of a 429:
 * the socket's message rate let a client go on at 45 refused subscribes a second a socket, 16
 * sockets from one address holding 19% of a gateway core (0.26 ms a refusal) for as long as it
 * liked. A new socket is charged to the opening budget. A per-field budget's refusal (search)
 * leaves the socket and its live subscriptions: every subscribe still spends a general point.
 */
function closeAfterBudgetRefusal(socket: WebSocket, refusal: PolicyRefusal): void {
  // After graphql-ws has sent the error message (in the promise jobs that follow onSubscribe).
  setImmediate(() => {
    if (socket.readyState !== socket.OPEN) return;
    // A close reason holds at most 123 bytes.
    const reason = Buffer.from(refusal.message).subarray(0, 123).toString("utf8").replace(/\uFFFD$/, "");
    socket.close(TRY_AGAIN_LATER, reason);
  });
}

function closeAtExpiry(extra: Extra, expiresAt: number): void {
  // setTimeout holds at most ~24.8 days; tokens live far less (ACCESS_TOKEN_MAX_LIFETIME_SECONDS).
  const wait = Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1);
  extra.expiry = setTimeout(() => extra.socket.close(TOKEN_EXPIRED, "The access token expired; reconnect with a fresh one"), wait);
  extra.expiry.unref();
}

/**
 * What planning took under an operation's context (the gateway notes each planning there). The
 * context is that operation's alone, a live subscription's reads included: whatever was
 * planned under it was planned for it.
 */
function plannedMs(context: GatewayContext): number {
  return [...(context.planning?.values() ?? [])].reduce((sum, ms) => sum + ms, 0);
}

/** An error as the client gets it, without the lines and columns of a text it did not send. */
function unlocated(error: GraphQLFormattedError | GraphQLError): GraphQLFormattedError {
  const { message, path, extensions } = error;
  return { message, ...(path ? { path } : {}), ...(extensions ? { extensions: { ...extensions } } : {}) };
}

function publicError(error: GraphQLError): GraphQLFormattedError {
  const code = error.extensions?.code;
  // The line and column a client's mistake is at (a syntax error, a field), as over HTTP.
  if (isPublicErrorCode(code)) return { message: error.message, ...(error.locations?.length ? { locations: error.locations } : {}), extensions: { ...error.extensions } };
  return { message: "Something went wrong on our side; please try again", extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
