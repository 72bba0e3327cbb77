import type { WebSocket } from "ws";

/**
 * How long a client may take to answer the server's close frame: a round trip, however slow its
 * network. What it was sent before the close frame (the close code and reason among it) stays
 * readable on its side when the socket is cut.
 */
export const UNANSWERED_CLOSE_MS = 5_000;

/**
 * Cuts `socket` when its client has not answered a close the server began within `graceMs`. ws
 * waits 30 s for the answer (a constant of ws), and graphql-ws closes a socket that sent no
 * connection_init after 3 s: a client that answered no close held its socket, and one of its
 * address's WS_MAX_CONNECTIONS_PER_CLIENT places, 33 s, not the 3 s the init deadline meant,
 * and a socket refused 1013 or 4401 for as long, all free of any budget.
 */
export function cutUnansweredClose(socket: WebSocket, graceMs: number = UNANSWERED_CLOSE_MS): void {
  const close = socket.close;
  socket.close = function (this: WebSocket, ...args: Parameters<WebSocket["close"]>) {
    close.apply(this, args);
    if (this.readyState !== this.CLOSED) setTimeout(() => this.terminate(), graceMs).unref();
  };
}
