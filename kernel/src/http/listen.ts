import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens and resolves with the bound port (port 0 picks a free one, as tests do). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * How long a closing server lets the requests it is answering finish. SIGTERM (a deploy, the
 * fleet's supervisor, Ctrl-C) arrives while customers wait on answers: cutting their sockets
 * at once answered them with an empty reply, a checkout included. The fleet's supervisor and
 * Kubernetes kill a process 10 s and 30 s after SIGTERM; this leaves the rest of those for the
 * other closers.
 */
export const CLOSE_DRAIN_MS = 5_000;

/**
 * Stops accepting connections, lets the requests in flight be answered (up to `drainMs`), and
 * closes every connection once it is idle; past the deadline what is left is cut.
 */
export function closeServer(server: Server, drainMs = CLOSE_DRAIN_MS): Promise<void> {
  return new Promise((resolve) => {
    // A keep-alive socket goes idle after its answer: close it then, not at its keep-alive timeout.
    const idle = setInterval(() => server.closeIdleConnections?.(), 50);
    const deadline = setTimeout(() => server.closeAllConnections?.(), drainMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections?.();
  });
}
