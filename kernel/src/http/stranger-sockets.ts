import type { Socket } from "node:net";
import { resetSocket } from "./unread-answer-reset.js";

/**
 * Sockets each client network holds before a request on them has been vouched for (a
 * subgraph's request carrying the gateway's credential). Past the cap the client's OLDEST such
 * socket is closed to make room for the new one, never the new one refused: a subgraph's own
 * caller (the gateway, a sibling subgraph) shares the loopback address with anything else on
 * the machine, so a cap that refused at accept would let a stranger holding the cap shut the
 * gateway out. A new socket of the platform's caller is vouched for at its first request, long
 * before a stranger could open a cap's worth of sockets behind it.
 *
 * Before it, a subgraph port capped nobody: 17,500 sockets held on four subgraph ports of the
 * one-process platform took its file descriptors, and the gateway reset every client for as long
 * as they were held.
 */
export interface StrangerSockets {
  /** Counts a newly accepted socket of `client`, closing that client's oldest unvouched socket when it is at its cap. */
  admit(socket: Socket, client: string): void;
}

const vouchers = new WeakMap<Socket, () => void>();

/**
 * Takes `socket` out of its client's count of strangers: a request on it proved it one of the
 * platform's own callers. Nothing for a socket no server counts.
 */
export function vouchForSocket(socket: Socket): void {
  vouchers.get(socket)?.();
}

export function createStrangerSockets(options: { maxPerClient: number; onEvicted?: () => void }): StrangerSockets {
  // A Set keeps insertion order: its first socket is the client's oldest stranger.
  const byClient = new Map<string, Set<Socket>>();
  const forget = (socket: Socket, client: string) => {
    vouchers.delete(socket);
    const strangers = byClient.get(client);
    if (!strangers?.delete(socket)) return;
    if (strangers.size === 0) byClient.delete(client);
  };
  return {
    admit(socket, client) {
      let strangers = byClient.get(client);
      if (!strangers) byClient.set(client, (strangers = new Set()));
      while (strangers.size >= options.maxPerClient) {
        const oldest: Socket = strangers.values().next().value!;
        forget(oldest, client);
        // Cut, not closed: a close would keep it (and its descriptor) while what it was sent lingers.
        resetSocket(oldest);
        options.onEvicted?.();
      }
      // forget() drops a set it empties (a cap of 1): this socket goes into it all the same.
      byClient.set(client, strangers);
      strangers.add(socket);
      vouchers.set(socket, () => forget(socket, client));
      socket.once("close", () => forget(socket, client));
    },
  };
}
