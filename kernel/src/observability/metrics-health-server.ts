import { listen, closeServer } from "../http/listen.js";
import { sendGraphQLError } from "../http/send-graphql-error.js";
import { createGuardedServer } from "../http/guarded-server.js";
import { defaultMaxConnections } from "../runtime/open-file-limit.js";
import { ErrorCode } from "../errors/error-codes.js";
import { serveMetrics } from "./metrics-route.js";

/**
 * `/healthz` and `/metrics` for a process that serves no HTTP of its own (the notification
 * service): what an orchestrator probes and a Prometheus scrapes, and nothing else. Guarded as
 * every other server of the platform, so a request is judged the same wherever it arrives.
 */
export async function startHealthServer(options: { name: string; port: number; host: string }): Promise<{ port: number; close(): Promise<void> }> {
  const server = createGuardedServer({ maxConnections: defaultMaxConnections() }, (req, res) => {
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
