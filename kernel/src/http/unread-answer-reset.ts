import { Socket } from "node:net";

/**
 * How long a connection the server closes after an answer is kept for its client to take what
 * it has not yet read, before whatever is left is dropped. A client closes once it has read its
 * answer, and what the kernel still holds when the server closes is at most its send buffer
 * (a few hundred KB over a network, 4 MB over loopback), which a reading client takes within a
 * second or two on a slow link.
 */
export const CLOSE_LINGER_MS = 5_000;

/** What a server tells the sockets it closes, and keeps of those lingering. */
export interface LingeringSockets {
  /** True once the server is closing: nothing lingers then. */
  closing(): boolean;
  /** The sockets lingering now, for the server to cut when it closes. */
  lingering: Set<Socket>;
}

/** Sockets being reset on purpose: their destroy is the real one. */
const resetting = new WeakSet<Socket>();

/** The lingering close `resetUnreadOnClose` gave each socket, for a protocol that ends it itself. */
const lingeringClose = new WeakMap<Socket, Socket["destroy"]>();

interface ReadableHandle {
  readStop?: () => number;
}

interface WritableStateView {
  finalCalled?: boolean;
  errored?: unknown;
}

/**
 * Closes `socket` at once, dropping what it was sending (a TCP reset, SO_LINGER 0): nothing
 * of it stays in the kernel once the process lets it go.
 *
 * A socket whose shutdown is under way (its `end()` handed to libuv, the FIN not yet sent:
 * a turn of the loop) is reset once that shutdown is done. libuv refuses a reset meanwhile
 * (EINVAL), and Node then marks the handle closing without closing it: the socket never
 * closed, its descriptor and its place in its client's caps were never given back, and the
 * process could not exit (its last cleanup waits for every handle to close, spinning).
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed || resetting.has(socket)) return;
  if (shutdownUnderWay(socket)) {
    if (waitingForShutdown.has(socket)) return;
    waitingForShutdown.add(socket);
    const retry = () => {
      socket.off("finish", retry);
      socket.off("error", retry);
      waitingForShutdown.delete(socket);
      resetSocket(socket);
    };
    socket.once("finish", retry);
    socket.once("error", retry);
    return;
  }
  resetting.add(socket);
  socket.resetAndDestroy();
}

/** Sockets whose reset waits for their shutdown to end. */
const waitingForShutdown = new WeakSet<Socket>();

/** Whether `socket` asked libuv to shut its sending side and has not heard back. */
function shutdownUnderWay(socket: Socket): boolean {
  const state = (socket as unknown as { _writableState?: WritableStateView })._writableState;
  return state?.finalCalled === true && !socket.writableFinished && !state.errored;
}

/**
 * Makes every graceful close of `socket` drop what its client has not read, `lingerMs` after
 * the close began. Node closes a connection (an answer saying `connection: close`, a client's
 * half-close, a timeout) by handing the kernel its last bytes and a FIN and forgetting the
 * socket: the kernel then keeps those bytes for as long as the client's receive window stays
 * shut, answering its zero-window probes, with no deadline (FIN-WAIT-1 orphans: 10 unread
 * 445 KB answers were still held 10 minutes later), and the socket no longer counts in any
 * per-client cap. A client that asked `connection: close` and never read parked 4.4 MB of the
 * server's memory per ten requests, at the pace of its budgets, for as long as it liked.
 *
 * Here a close that has bytes to deliver sends them and its FIN as before, stops reading (a
 * request sent now would be served on a connection that is closing), keeps the socket (still
 * counted in its client's caps) for `lingerMs`, then resets it, so the kernel lets go of
 * whatever is left. A socket nothing was written to, or whose sending failed, closes at once.
 */
export function resetUnreadOnClose(socket: Socket, server: LingeringSockets, lingerMs: number = CLOSE_LINGER_MS): void {
  const destroy = socket.destroy;
  let lingering: NodeJS.Timeout | undefined;
  socket.destroy = function (this: Socket, error?: Error) {
    if (resetting.has(this)) return destroy.call(this, error);
    if (lingering) {
      // A closing server cuts what is left rather than wait for it.
      if (server.closing()) resetSocket(this);
      return this;
    }
    const delivering = this.bytesWritten > 0 && (this.writable || this.writableEnded);
    if (!delivering || this.destroyed || server.closing()) return destroy.call(this, error);
    if (this.writable) this.end();
    (this as unknown as { _handle?: ReadableHandle })._handle?.readStop?.();
    lingering = setTimeout(() => resetSocket(this), lingerMs);
    lingering.unref();
    server.lingering.add(this);
    this.once("close", () => {
      clearTimeout(lingering);
      server.lingering.delete(this);
    });
    return this;
  };
  lingeringClose.set(socket, socket.destroy);
}

/**
 * For a socket another protocol has taken over (a WebSocket): reset at once when it is cut
 * without ending (a client that stopped reading or answering pings, a close it never
 * answered), and closed as `resetUnreadOnClose` closes a connection, lingering and then reset,
 * from the moment that protocol ends it (its closing handshake, a FIN without one), where its
 * server installed that close. The end says nothing of what the client read: ws ends a socket
 * whose client sent a FIN without the closing handshake, or sent its close frame and stopped
 * reading, and a plain close left everything pushed to it and unread in the kernel (FIN-WAIT-1)
 * for as long as the client kept its window shut. The linger starts at the end, not when ws
 * lets go of the socket: ws waits for what it queued to be taken (a client that sent its FIN
 * and reads nothing takes none of it) or for the client's FIN (one that sent its close frame and
 * stopped reading never sends it).
 *
 * Whoever counts the protocol's connections gives their places back when the protocol ends,
 * not when the lingering socket closes: the socket itself stays counted in its client's caps
 * of sockets until it is gone, as any connection the server closes.
 */
export function resetWhenCut(socket: Socket): void {
  const closeGracefully = lingeringClose.get(socket);
  const end = socket.end;
  socket.end = function (this: Socket, ...args: unknown[]) {
    (end as (...args: unknown[]) => Socket).apply(this, args);
    if (closeGracefully && !this.destroyed && !resetting.has(this)) closeGracefully.call(this);
    return this;
  } as Socket["end"];
  socket.destroy = function (this: Socket, error?: Error) {
    if (resetting.has(this) || this.destroyed || this.bytesWritten === 0) return Socket.prototype.destroy.call(this, error);
    if (this.writableEnded) return (closeGracefully ?? Socket.prototype.destroy).call(this, error);
    resetSocket(this);
    return this;
  };
}
