import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendGraphQLError } from "../http/send-graphql-error.js";
import { ErrorCode } from "../errors/error-codes.js";
import { METRICS_CONTENT_TYPE, metricsAccess, type MetricsAccess } from "./metrics-registry.js";
import { renderProcessMetrics } from "./metrics-cluster.js";

export const METRICS_PATH = "/metrics";

/**
 * Series name internals (operation names, consumer groups, error rates), so they are not for
 * the public: with METRICS_TOKEN set every `/metrics` wants it as a bearer token; without one
 * it is open in development and tests, and answered as absent in production.
 */
export function metricsAccessFor(config: { env: string; metrics: { token?: string } }): MetricsAccess {
  if (config.metrics.token) return { token: config.metrics.token };
  return config.env === "production" ? "off" : "open";
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Answers `/metrics` from the process registry, as the process's access allows; resolves
 * false for any other path. Every HTTP server of the platform asks it first.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if ((req.url ?? "/").split("?")[0] !== METRICS_PATH) return false;
  const access = metricsAccess();
  if (access === "off") {
    sendGraphQLError(res, 404, ErrorCode.NOT_FOUND, "Not found");
    return true;
  }
  if (typeof access === "object") {
    const given = req.headers.authorization;
    // Compared as digests: equal lengths, and the time taken says nothing about the token.
    if (typeof given !== "string" || !timingSafeEqual(digest(given), digest(`Bearer ${access.token}`))) {
      sendGraphQLError(res, 401, ErrorCode.UNAUTHENTICATED, "Metrics need the METRICS_TOKEN as a bearer token", { "www-authenticate": "Bearer" });
      return true;
    }
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendGraphQLError(res, 405, ErrorCode.BAD_USER_INPUT, "Metrics are read with GET", { allow: "GET, HEAD" });
    return true;
  }
  let body: string;
  try {
    body = await renderProcessMetrics();
  } catch {
    sendGraphQLError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Metrics could not be collected");
    return true;
  }
  res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : body);
  return true;
}
