import { createServer, type RequestListener, type Server } from "node:http";
import type { Socket } from "node:net";
import { clientNetwork } from "./client-network.js";
import { createConnectionLimiter } from "./connection-limiter.js";
import { createConnectionRate } from "./connection-rate.js";
import { createStrangerSockets } from "./stranger-sockets.js";
import { servedInTurn } from "./requests-in-turn.js";
import { COLLECTED_HEADERS, refuseTooManyHeaders } from "./header-count.js";
import { NO_SNIFF } from "./no-sniff.js";
import { answerUnreadableRequest, refuseChunkedBody, refuseWithoutHost } from "./unreadable-request.js";
import { sendGraphQLError } from "./send-graphql-error.js";
import { closeWhenBodyUnread } from "./unread-body.js";
import { CLOSE_LINGER_MS, resetSocket, resetUnreadOnClose, type LingeringSockets } from "./unread-answer-reset.js";
import { resetWhenStalled, STALLED_READER_MS } from "./stalled-reader-reset.js";
import { ErrorCode } from "../errors/error-codes.js";
import { REBOUND_HOST_MESSAGE } from "../config/development-exposure.js";

export type ConnectionRefusal = "server_full" | "client_full" | "client_churn" | "client_pipelining";

/**
 * New connections a connection cut off for pipelining costs its network: 40,000 requests
 * pipelined 2,000 a connection, one connection every 50 ms, held a gateway core and a customer's
 * query waited 176 ms (p50) and up to 1.4 s, within the 1,200 new connections a minute.
 */
export const PIPELINE_FLOOD_CONNECTIONS = 100;

export interface ConnectionGuards {
  /**
   * Sockets open at once on this server. Past it a new socket is closed as soon as it is
   * accepted, so file descriptors stay for the process's own calls (subgraphs, engines).
   */
  maxConnections: number;
  /**
   * Sockets one client network (an IPv4 address, an IPv6 /64) may hold at once, counted at
   * accept time by the peer address. Leave it out behind a proxy: every client shares its address.
   */
  maxConnectionsPerClient?: number;
  /**
   * New sockets one client network may open per minute (a minute's worth at once), counted at
   * accept time by the peer address; past it a socket is closed before anything is read from
   * it. HTTP requests and WebSocket upgrades alike: each begins as a socket.
   */
  newConnectionsPerMinute?: number;
  /**
   * Sockets one client network may hold at once before a request on them is vouched for
   * (`vouchForSocket`); past it that client's oldest such socket is closed to make room (see
   * stranger-sockets.ts). For servers whose callers share an address with anyone else on the
   * machine (a subgraph, reached by the gateway over loopback), where a cap refusing new sockets
   * would shut their own caller out. Every peer counts: no exemption.
   */
  maxStrangersPerClient?: number;
  /** Told each time a stranger's socket is closed to make room for its client's newer one. */
  onStrangerClosed?: () => void;
  /**
   * Peers the per-client guards leave alone: the operator's proxies, from whose address every
   * client behind them arrives.
   */
  exemptPeer?: (remoteAddress: string | undefined) => boolean;
  /** The request line and headers must arrive within this after the socket opens or the last response. */
  headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs?: number;
  /**
   * A socket on which nothing moves either way for this long is closed: a client that stopped
   * reading its answers (pipelined requests whose answers fill the kernel's buffers) held its
   * socket, and those buffers, for as long as it liked. Off when left out (a subgraph may work
   * longer than this on one request before it writes).
   */
  inactivityTimeoutMs?: number;
  /**
   * How long a connection the server closes keeps what its client has not read before it is
   * dropped (see unread-answer-reset.ts); CLOSE_LINGER_MS when left out.
   */
  closeLingerMs?: number;
  /**
   * How long a client may leave what it was sent unacknowledged without taking a byte of it
   * before its socket is reset (see stalled-reader-reset.ts); STALLED_READER_MS when left out.
   */
  stalledReaderMs?: number;
  onRefused?: (reason: ConnectionRefusal) => void;
  /**
   * Whether a request's Host header may be served (`loopbackHostCheck`): a refused one is 403
   * FORBIDDEN before anything else runs. Every Host when left out.
   */
  acceptsHost?: (host: string | undefined) => boolean;
}

/** Long enough for a slow mobile link to send headers; short enough that idle sockets cannot pile up. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A 100 KB body at 4 KB/s fits; a client trickling bytes to hold the socket does not. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Above the usual 60 s idle timeout of load balancers, so the balancer closes an idle
 * keep-alive connection first and never sends a request on one the server is closing.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The gateway's inactivity deadline: well past any answer it waits for (subgraph calls end in 10 s). */
export const GATEWAY_INACTIVITY_TIMEOUT_MS = 120_000;

/**
 * An HTTP server that one client cannot fill: without these guards a client holding
 * silent sockets (each lived up to 90 s under Node's defaults, 300 s when trickling a body)
 * used up the process's file descriptors within seconds, and every request and every
 * database connection of the process then failed with EMFILE.
 */
export function createGuardedServer(guards: ConnectionGuards, listener: RequestListener): Server {
  const churn = guards.newConnectionsPerMinute === undefined ? undefined : createConnectionRate({ perMinute: guards.newConnectionsPerMinute });
  // A client pipelining past MAX_PIPELINED is cut off and pays for the requests it made the
  // server parse as if it had opened that many connections' worth: browsers and the platform's
  // clients never pipeline. Only where new connections are budgeted (not behind a proxy).
  const onPipelineFlood = churn
    ? (socket: Socket) => {
        if (guards.exemptPeer?.(socket.remoteAddress)) return;
        churn.spend(clientNetwork(socket.remoteAddress), PIPELINE_FLOOD_CONNECTIONS);
        guards.onRefused?.("client_pipelining");
      }
    : undefined;
  const server = createServer(
    {
      headersTimeout: guards.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: guards.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // How often Node looks for sockets past those deadlines (its default, 30 s, would let
      // them live three times longer than the headers deadline).
      connectionsCheckingInterval: Math.min(1_000, guards.headersTimeoutMs ?? HEADERS_TIMEOUT_MS),
      // Checked below, so the refusal says what is missing like every other.
      requireHostHeader: false,
    },
    servedInTurn((req, res) => {
      // Every answer, refusals included: a browser never guesses an answer's type from its body.
      res.setHeader(NO_SNIFF[0], NO_SNIFF[1]);
      closeWhenBodyUnread(req, res);
      if (refuseTooManyHeaders(req, res) || refuseWithoutHost(req, res) || refuseChunkedBody(req, res)) return;
      if (guards.acceptsHost && !guards.acceptsHost(req.headers.host)) {
        req.resume();
        sendGraphQLError(res, 403, ErrorCode.FORBIDDEN, REBOUND_HOST_MESSAGE);
        return;
      }
      listener(req, res);
    }, onPipelineFlood),
  );
  server.on("clientError", answerUnreadableRequest);
  // Collected past the limit only as far as telling that a request is over it (refused above).
  server.maxHeadersCount = COLLECTED_HEADERS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  if (guards.inactivityTimeoutMs !== undefined) server.timeout = guards.inactivityTimeoutMs;
  // A socket idle past a deadline (this one, or a kept-alive socket's KEEP_ALIVE_TIMEOUT_MS) is
  // reset rather than closed with a FIN: whatever its client left unread in the kernel goes with
  // it (nginx's reset_timedout_connection), where Node's close left it there for as long as the
  // client kept its window shut.
  server.on("timeout", (socket: Socket) => resetSocket(socket));
  // First of the server's own listeners: every socket it closes later, refused at accept or not.
  // Closing from the moment close() is called: Node's close first destroys the idle kept-alive
  // sockets while the server still listens, and a linger then would hold the close open.
  let closeCalled = false;
  const lingering: LingeringSockets = { closing: () => closeCalled || !server.listening, lingering: new Set() };
  server.on("listening", () => (closeCalled = false));
  server.on("connection", (socket: Socket) => {
    resetUnreadOnClose(socket, lingering, guards.closeLingerMs ?? CLOSE_LINGER_MS);
    resetWhenStalled(socket, guards.stalledReaderMs ?? STALLED_READER_MS);
  });
  // A closing server waits for every socket: it cuts those lingering rather than wait out their linger.
  const close = server.close;
  server.close = function (this: Server, callback?: (error?: Error) => void) {
    closeCalled = true;
    for (const socket of lingering.lingering) resetSocket(socket);
    return close.call(this, callback);
  } as Server["close"];
  server.maxConnections = guards.maxConnections;
  server.on("drop", () => guards.onRefused?.("server_full"));
  const perClient =
    guards.maxConnectionsPerClient === undefined ? undefined : createConnectionLimiter({ maxConnections: Number.POSITIVE_INFINITY, maxConnectionsPerClient: guards.maxConnectionsPerClient });
  if (guards.maxStrangersPerClient !== undefined) {
    const strangers = createStrangerSockets({ maxPerClient: guards.maxStrangersPerClient, onEvicted: guards.onStrangerClosed });
    server.on("connection", (socket) => strangers.admit(socket, clientNetwork(socket.remoteAddress)));
  }
  if (perClient || churn) {
    server.on("connection", (socket) => {
      if (guards.exemptPeer?.(socket.remoteAddress)) return;
      const client = clientNetwork(socket.remoteAddress);
      // The cheapest refusal there is: nothing was read, nothing is written.
      if (churn && !churn.admit(client)) {
        guards.onRefused?.("client_churn");
        socket.destroy();
        return;
      }
      if (!perClient) return;
      const slot = perClient.open(client);
      if (!slot) {
        guards.onRefused?.("client_full");
        socket.destroy();
        return;
      }
      socket.once("close", slot.release);
    });
  }
  return server;
}
