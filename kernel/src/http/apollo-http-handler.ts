import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { readBody, BodyTooLargeError } from "./read-body.js";
import { sendGraphQLError } from "./send-graphql-error.js";
import { ErrorCode } from "../errors/error-codes.js";

/**
 * Serves an ApolloServer from a plain node:http server. Apollo Server 5 ships no HTTP
 * framework; owning the server lets WebSockets share the port and keeps the hot path free
 * of middleware we do not need.
 */
export function createApolloHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  options: { bodyLimitBytes?: number; checkBody?: (body: unknown) => BodyRejection | undefined } = {},
) {
  const bodyLimitBytes = options.bodyLimitBytes ?? 1_000_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: unknown;
    try {
      const raw = req.method === "POST" ? await readBody(req, bodyLimitBytes) : "";
      body = raw && isJson(req) ? JSON.parse(raw) : raw;
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendGraphQLError(res, 413, ErrorCode.BAD_USER_INPUT, error.message);
      return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, "The request body is not valid JSON");
    }
    const rejection = options.checkBody?.(req.method === "GET" ? queryStringOperation(req.url ?? "") : body);
    if (rejection) return sendGraphQLError(res, rejection.status, rejection.code, rejection.message);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url ?? "/";
    const queryStart = url.indexOf("?");
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search: queryStart >= 0 ? url.slice(queryStart) : "",
        body,
      },
      context: () => context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/** Why a request body is refused before execution (batch too large, not allow-listed...). */
export interface BodyRejection {
  status: number;
  code: string;
  message: string;
}

/** A GET request's operation, shaped like a POST body so one check serves both. */
function queryStringOperation(url: string): Record<string, unknown> {
  const params = new URL(url, "http://localhost").searchParams;
  let extensions: unknown;
  try {
    extensions = JSON.parse(params.get("extensions") ?? "null") ?? undefined;
  } catch {
    extensions = undefined;
  }
  return { query: params.get("query") ?? undefined, extensions };
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers["content-type"] ?? "").includes("json");
}
