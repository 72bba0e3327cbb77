import type { IncomingMessage } from "node:http";
import type { WebSocket, WebSocketServer } from "ws";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import { jsonNestsDeeperThan, MAX_JSON_NESTING, type Logger } from "#kernel";

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
  wsServer.options.handleProtocols = handleProtocols;
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
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", async (data) => {
            // Judged and being closed (a flood: see socket-guard.ts): what was already received
            // with the message that tipped it is not parsed or answered for nobody.
            if (socket.readyState !== socket.OPEN) return;
            const text = String(data);
            // graphql-ws parses with a reviver, which overflowed the stack on deep nesting: the
            // socket was closed as the server's failure, with an error logged for each message.
            if (jsonNestsDeeperThan(text)) return socket.close(CloseCode.BadRequest, `Invalid message: its JSON nests deeper than ${MAX_JSON_NESTING} levels`);
            try {
              await handle(text);
            } catch (error) {
              logger.error("websocket message failed", { error: error instanceof Error ? error.message : String(error) });
              if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          }),
      },
      extraOf(socket, request),
    );

    socket.once("close", (code, reason) => {
      clearInterval(keepAlive);
      closed(code, String(reason)).catch((error: unknown) => logger.error("websocket close failed", { error: error instanceof Error ? error.message : String(error) }));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, "Going away");
    },
  };
}
