import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Has an answer written before its request's body has all arrived close the connection
 * (`connection: close`). Node keeps reading such a body to reuse the connection, as long as the
 * server's request timeout allows: a subgraph refused a POST without the gateway's credential
 * (403) at once, then held the socket while the client trickled the 100,000 bytes it announced
 * a byte every 2 s, for up to 5 minutes (its timeout, set for image uploads on a slow link), with
 * no per-client cap on a subgraph's sockets; the same for a `/healthz` GET announcing a body.
 * Every route that serves a request reads its body before answering (the GraphQL handler, an
 * upload), so only answers that skip it, refusals in the main, give up the connection.
 */
export function closeWhenBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const declared = req.headers["content-length"];
  // No body announced (chunked bodies are refused at their headers): nothing is left to read.
  if (declared === undefined || declared === "0") return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
    // Node then writes `connection: close` and ends the socket once the answer is sent.
    if (!req.complete) this.shouldKeepAlive = false;
    return writeHead.apply(this, args);
  } as ServerResponse["writeHead"];
}
