import type { WebSocket } from "ws";
import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from "graphql-ws";
import { ErrorCode } from "#kernel";

/**
 * The subprotocol subscriptions-transport-ws asks for (Apollo's retired `WebSocketLink`, old
 * tutorials): a name graphql-ws's own protocol was given after it, so the mistake is common.
 */
const SUBSCRIPTIONS_TRANSPORT_WS = DEPRECATED_GRAPHQL_WS_PROTOCOL;

/** Fits a close frame's 123 bytes: a browser shows a client nothing else of why it was closed. */
const CLOSE_REASON = `Use the graphql-ws library: subprotocol ${GRAPHQL_TRANSPORT_WS_PROTOCOL}`;

const LEGACY_MESSAGE =
  `subscriptions-transport-ws (subprotocol "${SUBSCRIPTIONS_TRANSPORT_WS}", Apollo's WebSocketLink) is not served: ` +
  `subscribe with the graphql-ws library (subprotocol "${GRAPHQL_TRANSPORT_WS_PROTOCOL}"; Apollo Client's GraphQLWsLink)`;

/**
 * The subprotocol a handshake is answered with: graphql-ws's when offered, else the first one
 * the client offered. A handshake answered with none, as graphql-ws's `handleProtocols` answers
 * a foreign list, is failed by the client itself (ws: "Server sent no subprotocol", a browser:
 * 1006): the close below, which says what to use, would never be read.
 */
export function chooseSubprotocol(offered: Set<string>): string | false {
  return handleProtocols(offered) || (offered.values().next().value ?? false);
}

/**
 * Closes a socket of another protocol than graphql-ws's as graphql-ws closes it (4406), with a
 * reason naming the protocol served in place of its "Subprotocol not acceptable". A
 * subscriptions-transport-ws client is told first in its own protocol, `connection_error`,
 * which its client hands to the application's error callback, with the code every other
 * refusal carries.
 */
export function closeForeignProtocol(socket: WebSocket): void {
  if (socket.protocol === SUBSCRIPTIONS_TRANSPORT_WS && socket.readyState === socket.OPEN) {
    socket.send(JSON.stringify({ type: "connection_error", payload: { message: LEGACY_MESSAGE, extensions: { code: ErrorCode.OPERATION_NOT_ALLOWED } } }));
  }
  socket.close(CloseCode.SubprotocolNotAcceptable, CLOSE_REASON);
}
