import { listen, closeServer } from "../http/listen.js";
import { sendGraphQLError } from "../http/send-graphql-error.js";
import { createGuardedServer } from "../http/guarded-server.js";
import { defaultMaxConnections } from "../runtime/open-file-limit.js";
import { ErrorCode } from "../errors/error-codes.js";
import { serveMetrics } from "./metrics-route.js";
import { countStrangerSocketClosed } from "./metrics-gateway.js";

/** Sockets one client network may hold on a health port; past it its oldest is closed (stranger-sockets.ts). */
const HEALTH_SOCKETS_PER_CLIENT = 64;

/**
 * `/healthz` and `/metrics` for a process that serves no HTTP of its own (the notification
 * service): what an orchestrator probes and a Prometheus scrapes, and nothing else. Guarded as
 * every other server of the platform, so a request is judged the same wherever it arrives.
 */
export async function startHealthServer(options: { name: string; port: number; host: string }): Promise<{ port: number; close(): Promise<void> }> {
  // Its callers are a probe and a scraper: a client past a few sockets is a stranger flooding it.
  const server = createGuardedServer({ maxConnections: defaultMaxConnections(), maxStrangersPerClient: HEALTH_SOCKETS_PER_CLIENT, onStrangerClosed: () => countStrangerSocketClosed(options.name) }, (req, res) => {
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
