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
}

/**
 * For a socket another protocol has taken over (a WebSocket): closed as Node closes it once
 * that protocol has ended it (a WebSocket's closing handshake, answered, shows its client read
 * everything before it), and reset when it is cut without ending (a client that stopped
 * reading or answering pings, a close it never answered), which would otherwise leave what it
 * did not read in the kernel as `resetUnreadOnClose` tells. No lingering: the protocol's own
 * close is waited on by whoever counts the socket.
 */
export function resetWhenCut(socket: Socket): void {
  const destroy = Socket.prototype.destroy;
  socket.destroy = function (this: Socket, error?: Error) {
    if (this.writableEnded || this.bytesWritten === 0 || resetting.has(this) || this.destroyed) return destroy.call(this, error);
    resetSocket(this);
    return this;
  };
}
