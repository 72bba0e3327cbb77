import { createServer } from "node:http";
import { listen, closeServer } from "../http/listen.js";
import { sendGraphQLError } from "../http/send-graphql-error.js";
import { refuseChunkedBody } from "../http/unreadable-request.js";
import { ErrorCode } from "../errors/error-codes.js";
import { serveMetrics } from "./metrics-route.js";

/**
 * `/healthz` and `/metrics` for a process that serves no HTTP of its own (the notification
 * service): what an orchestrator probes and a Prometheus scrapes, and nothing else.
 */
export async function startHealthServer(options: { name: string; port: number; host: string }): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (refuseChunkedBody(req, res)) return;
    serveMetrics(req, res)
      .then((answered) => {
        if (answered) return;
        if ((req.url ?? "/").split("?")[0] === "/healthz") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", service: options.name }));
        else sendGraphQLError(res, 404, ErrorCode.NOT_FOUND, "Not found");
      })
      .catch(() => {
        if (!res.headersSent) sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal error");
      });
  });
  const port = await listen(server, options.port, options.host);
  return { port, close: () => closeServer(server) };
}
