import type { IncomingMessage } from "node:http";
import type { WebSocket, WebSocketServer } from "ws";
import { CloseCode, makeServer, type ServerOptions } from "graphql-ws";
import { chooseSubprotocol, closeForeignProtocol } from "./foreign-subprotocol.js";
import { onProtocolEnd } from "./protocol-end.js";
import { jsonNestsDeeperThan, MAX_JSON_NESTING, type Logger } from "#kernel";
import { fieldsTheGatewayReads, isObject } from "./fields-the-gateway-reads.js";

/**
 * Where a subscribe's payload that graphql-ws would refuse is carried to `onSubscribe`, as
 * the client sent it (see `sentPayload`). A symbol: no client's JSON can name it.
 */
const SENT_PAYLOAD = Symbol("sentPayload");

/**
 * The payload of a subscribe as the client sent it: what `onSubscribe` judges. graphql-ws
 * closes the whole socket (4400) on a payload whose `variables`, `operationName`, `query` or
 * `extensions` has the wrong JSON type, where HTTP answers the same operation BAD_USER_INPUT:
 * every other operation on the socket, live order subscriptions included, ended with one
 * client's mistake. Such a payload reaches `onSubscribe` in an envelope graphql-ws accepts,
 * and is refused there by the request policy, for that operation alone, as over HTTP.
 */
export function sentPayload(payload: unknown): unknown {
  return payload !== null && typeof payload === "object" && SENT_PAYLOAD in payload ? (payload as { [SENT_PAYLOAD]: unknown })[SENT_PAYLOAD] : payload;
}

/** A subscribe message whose payload graphql-ws would refuse, its payload wrapped for `onSubscribe` (else the message as it is). */
function carryingMalformedPayload(message: unknown): unknown {
  if (message === null || typeof message !== "object") return message;
  const { type, id, payload } = message as { type?: unknown; id?: unknown; payload?: unknown };
  // Without an id there is no operation to answer: graphql-ws closes the socket, as before.
  if (type !== "subscribe" || typeof id !== "string" || id === "") return message;
  if (isObject(payload)) {
    const { query, variables, operationName, extensions } = payload;
    const acceptable =
      typeof query === "string" &&
      (variables == null || isObject(variables)) &&
      (operationName == null || typeof operationName === "string") &&
      (extensions == null || isObject(extensions));
    if (acceptable) return message;
  }
  return { ...message, payload: { query: "", [SENT_PAYLOAD]: payload } };
}


/** How often an idle socket is pinged; one that has not answered by the next ping is cut. */
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws's protocol on a `ws` server, as graphql-ws's own `useServer` binds it, except for
 * what a failure tells whom. `useServer` prints every socket error and every failed send with
 * its stack to the console, and outside NODE_ENV=production puts the error's own text in the
 * close frame: a client sending frames over the size limit, or closing while its result is
 * written, filled the logs with stacks at will. Here a send to a socket that has gone is
 * nothing to report, a socket's protocol error is one structured warning (ws closes that socket
 * itself), and an error inside the protocol closes with 4500 and a fixed reason.
 */
export function serveGraphQLOverWebSocket<E extends { socket: WebSocket; request: IncomingMessage }>(
  wsServer: WebSocketServer,
  options: ServerOptions<Record<string, unknown>, E>,
  logger: Logger,
  extraOf: (socket: WebSocket, request: IncomingMessage) => E,
): { dispose(): Promise<void> } {
  const server = makeServer<Record<string, unknown>, E>(options);
  wsServer.options.handleProtocols = chooseSubprotocol;
  // ws re-emits the HTTP server's errors here: unheard, each would end the process.
  wsServer.on("error", (error) => logger.error("websocket server error", { error: error.message }));

  wsServer.on("connection", (socket, request) => {
    socket.once("error", (error) => logger.warn("websocket protocol error", { error: error.message }));

    let awaitingPong = false;
    const keepAlive = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (awaitingPong) return void socket.terminate();
      awaitingPong = true;
      socket.ping();
    }, KEEP_ALIVE_MS);
    socket.on("pong", () => (awaitingPong = false));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        // A result for a socket that closed meanwhile has nobody to go to.
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, () => resolve());
          }),
        // graphql-ws refuses a foreign protocol at once, in words that do not say which one it serves.
        close: (code, reason) => (code === CloseCode.SubprotocolNotAcceptable ? closeForeignProtocol(socket) : socket.close(code, reason)),
        onMessage: (handle) => {
          // Awaits graphql-ws's handling, which for a subscription lasts as long as it lives: it
          // holds only the message as given, never the bytes or the parse they came in.
          const handled = async (message: unknown) => {
            try {
              await handle(message as string);
            } catch (error) {
              logger.error("websocket message failed", { error: error instanceof Error ? error.message : String(error) });
              if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          };
          socket.on("message", (data) => {
            // Judged and being closed (a flood: see socket-guard.ts): what was already received
            // with the message that tipped it is not parsed or answered for nobody.
            if (socket.readyState !== socket.OPEN) return;
            const text = String(data);
            // graphql-ws parses with a reviver, which overflowed the stack on deep nesting: the
            // socket was closed as the server's failure, with an error logged for each message.
            if (jsonNestsDeeperThan(text)) return socket.close(CloseCode.BadRequest, `Invalid message: its JSON nests deeper than ${MAX_JSON_NESTING} levels`);
            // Parsed once, here: graphql-ws takes the message parsed.
            let message: unknown;
            try {
              message = JSON.parse(text);
            } catch {
              message = text; // graphql-ws closes with its own 4400 for what is not JSON
            }
            // graphql-ws reads a message given parsed as it reads one it parses (parseMessage),
            // and keeps it: only what the gateway reads of it is given.
            void handled(carryingMalformedPayload(fieldsTheGatewayReads(message)));
          });
        },
      },
      extraOf(socket, request),
    );

    // The operations end with the protocol, while the TCP socket may still linger.
    onProtocolEnd(socket, request.socket, (code, reason) => {
      clearInterval(keepAlive);
      closed(code, reason).catch((error: unknown) => logger.error("websocket close failed", { error: error instanceof Error ? error.message : String(error) }));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, "Going away");
    },
  };
}
