import type { Socket } from "node:net";
import type { WebSocket } from "ws";

/** Told once a WebSocket's protocol is over: the close code and reason, where one was sent. */
export type ProtocolEndListener = (code: number, reason: string) => void;

interface Watch {
  listeners: ProtocolEndListener[];
  ended?: { code: number; reason: string };
}

const watches = new WeakMap<WebSocket, Watch>();

/** WebSocket's code for a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

/**
 * Calls `listener` once `socket`'s protocol is over: the first close frame either way (the
 * server's, or the client's, which ws answers), a FIN without one, an error, a cut. ws emits
 * "close" only once the TCP socket has closed, and that socket may linger a while past the end
 * to deliver what is left (see the kernel's unread-answer-reset.ts): what the WebSocket holds in
 * the gateway (its place in its address's cap, its subscriptions) is given back here instead,
 * nothing being sent or served on it any more. A client that reconnects at once finds its
 * place free, where lingering until the close held it and the reconnection was refused 1013.
 *
 * `tcp` is the socket the WebSocket runs on (the upgrade's `request.socket`). Listeners run
 * after the call that ended the protocol has returned, never inside ws's or graphql-ws's own
 * handling of it; one added after the end is told too.
 */
export function onProtocolEnd(socket: WebSocket, tcp: Socket, listener: ProtocolEndListener): void {
  let watch = watches.get(socket);
  if (!watch) watches.set(socket, (watch = watchProtocol(socket, tcp)));
  if (!watch.ended) return void watch.listeners.push(listener);
  const { code, reason } = watch.ended;
  process.nextTick(() => listener(code, reason));
}

function watchProtocol(socket: WebSocket, tcp: Socket): Watch {
  const watch: Watch = { listeners: [] };
  const end = (code: number, reason: string) => {
    if (watch.ended) return;
    watch.ended = { code, reason };
    process.nextTick(() => {
      for (const listener of watch.listeners.splice(0)) listener(code, reason);
    });
  };
  // ws answers a client's close frame through this same method: either way it is the end.
  const close = socket.close;
  socket.close = function (this: WebSocket, ...args: Parameters<WebSocket["close"]>) {
    close.apply(this, args);
    if (this.readyState !== this.OPEN) end(args[0] ?? 1005, args[1] === undefined ? "" : String(args[1]));
  };
  // A FIN without a close frame: ws ends its side and nothing more is read or sent.
  tcp.once("end", () => end(ABNORMAL_CLOSURE, ""));
  tcp.once("close", () => end(ABNORMAL_CLOSURE, ""));
  // A frame ws could not send or parse: ws is closing the socket itself.
  socket.once("error", () => end(ABNORMAL_CLOSURE, ""));
  socket.once("close", (code, reason) => end(code, String(reason)));
  // Closed before anyone watched (a socket refused as it opened): over already.
  if (socket.readyState !== socket.OPEN) end(ABNORMAL_CLOSURE, "");
  return watch;
}
