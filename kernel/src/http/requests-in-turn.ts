import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests a connection may have waiting behind the one being answered. Node parses whatever a
 * read brings (64 KB: about 1,700 tiny requests) before any handler can act, so a client that
 * pipelines is cut off where it shows it, and `onPipelineFlood` lets the server charge it
 * (guarded-server.ts spends its network's new-connection budget as for PIPELINE_FLOOD_CONNECTIONS).
 */
export const MAX_PIPELINED = 8;

/**
 * Serves the requests a connection pipelines one after another, each once the one before it is
 * answered, as HTTP/1.1 answers them: Node hands every request of a packet to the server at
 * once, so 2,000 requests pipelined in one write ran side by side, and a refusal that ends the
 * connection (a spent budget's 429, `connection: close`) came after every one of them had
 * been read, verified and admitted: 0.1-0.25 ms of CPU each, with nothing counting them.
 * Served in turn, nothing queued behind an answer that closes the connection runs. Browsers
 * and the platform's own clients never pipeline (undici's pipelining is 1): nothing of theirs waits.
 */
export function servedInTurn(listener: RequestListener, onPipelineFlood?: (socket: Socket) => void): RequestListener {
  const waiting = new WeakMap<Socket, (() => void)[]>();
  return (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (onPipelineFlood && (waiting.get(socket)?.length ?? 0) >= MAX_PIPELINED) {
      // Nothing more of this connection is served or read; what Node already parsed is dropped.
      if (!socket.destroyed) {
        onPipelineFlood(socket);
        socket.destroy();
      }
      return;
    }
    const serve = () => {
      res.once("close", () => {
        const queue = waiting.get(socket);
        const next = queue?.shift();
        // A connection that is closing (its last answer said so, or it is gone) serves nothing
        // more of what it sent: Node has ended the socket by the time the answer is closed.
        if (next && socket.writable) return next();
        waiting.delete(socket);
      });
      listener(req, res);
    };
    const queue = waiting.get(socket);
    if (queue) queue.push(serve);
    else {
      waiting.set(socket, []);
      serve();
    }
  };
}
