import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import Negotiator from "negotiator";
import { Lexer, Source, TokenKind } from "graphql";
import { readBody, BodyTooLargeError, InvalidUtf8Error } from "./read-body.js";
import { jsonNestsDeeperThan, MAX_JSON_NESTING } from "./json-nesting.js";
import { varyBy } from "./vary.js";
import { sendGraphQLError } from "./send-graphql-error.js";
import { ErrorCode } from "../errors/error-codes.js";

/** Apollo Server's words for the same refusal, which it gave after running the operation. */
const UNACCEPTABLE = "An 'accept' header was provided for this request which does not accept application/json or application/graphql-response+json";
/** What Apollo Server answers a single result in (`chooseContentTypeForSingleResultResponse`). */
const ANSWER_TYPES = ["application/json; charset=utf-8", "application/graphql-response+json; charset=utf-8", "application/json; callbackSpec=1.0; charset=utf-8"];

/** Verdicts by Accept text: clients send a handful of them, and every request carries one. */
const acceptVerdicts = new Map<string, boolean>();
/** Texts remembered at most: one client varying its header fills no memory, it is only judged anew. */
const ACCEPT_VERDICTS_KEPT = 256;

/** Whether the request's Accept header (none accepts all) allows a type Apollo Server answers in, as Apollo Server negotiates it. */
function acceptsAnAnswerType(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (!accept) return true;
  let verdict = acceptVerdicts.get(accept);
  if (verdict === undefined) {
    verdict = new Negotiator({ headers: { accept } }).mediaType(ANSWER_TYPES) !== undefined;
    if (acceptVerdicts.size < ACCEPT_VERDICTS_KEPT) acceptVerdicts.set(accept, verdict);
  }
  return verdict;
}

/**
 * Serves an ApolloServer from a plain node:http server. Apollo Server 5 ships no HTTP
 * framework; owning the server lets WebSockets share the port and keeps the hot path free
 * of middleware we do not need.
 */
export function createApolloHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  options: {
    bodyLimitBytes?: number;
    /** Judges the parsed body (or a GET's query string, shaped like one) before Apollo sees it. */
    admit?: (body: unknown, req: IncomingMessage) => Promise<BodyRejection | undefined>;
    /**
     * Refuses what a browser sends cross-site without asking (see `mayBeCrossSite`) before
     * anything is read or admitted: Apollo Server's own CSRF prevention refuses it only after
     * `admit` has charged its budgets.
     */
    csrfPrevention?: boolean;
    /**
     * What a request looks like, told to one refused as cross-site that was no GraphQL request
     * at all: the GraphQL URL opened in a browser tab, or a query posted as text (most often
     * someone's first request).
     */
    howToSend?: string;
    /**
     * Answers an admitted request without Apollo Server when it can answer it exactly
     * (`preparedSubgraphQueries`, `persistedAnswers`): given the body a POST's JSON parsed to, or
     * a GET's query string shaped like one (unset parameters left undefined), it resolves true
     * once it answered, false having sent nothing.
     */
    answer?: (body: unknown, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  } = {},
) {
  const bodyLimitBytes = options.bodyLimitBytes ?? 1_000_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Before the cross-site rule: a DELETE or OPTIONS was told it looked like a forged form post.
    if (req.method !== "GET" && req.method !== "POST" && req.method !== "HEAD") {
      req.resume();
      return sendGraphQLError(res, 405, ErrorCode.BAD_USER_INPUT, `GraphQL requests are sent with POST (or GET for queries), not ${req.method}`, { allow: "GET, POST" });
    }
    const encoding = contentEncodingOf(req);
    if (encoding) {
      req.resume();
      return sendGraphQLError(res, 415, ErrorCode.BAD_USER_INPUT, `A request body in Content-Encoding ${encoding} is not accepted: send it uncompressed`, { "accept-encoding": "identity" });
    }
    if (options.csrfPrevention && mayBeCrossSite(req)) {
      // A GET is refused either way; one carrying a mutation was told it looked forged, and
      // that adding a header would pass, when no header makes a mutation by GET run.
      const notByGet = req.method === "GET" ? operationNeverSentByGet(req.url) : undefined;
      if (notByGet) return sendGraphQLError(res, 405, ErrorCode.OPERATION_NOT_ALLOWED, notByGet, { allow: "POST" });
      // A GET with no query at all is the request the admission policy refuses as BAD_USER_INPUT
      // when it carries a preflight header; the same request gets the same code without one.
      const refusal = crossSiteRefusal(req, options.howToSend);
      return sendGraphQLError(res, 400, refusal.startsWith(NO_QUERY) ? ErrorCode.BAD_USER_INPUT : "BAD_REQUEST", refusal);
    }
    // Before anything is read or admitted: Apollo Server chose the answer's media type only once
    // the operation had run, so a mutation whose client accepts neither JSON type ran (a line
    // added, an order placed and charged) and its client was told 406, that it had failed.
    if (!acceptsAnAnswerType(req)) {
      req.resume();
      return sendGraphQLError(res, 406, "BAD_REQUEST", UNACCEPTABLE, { vary: "Accept" });
    }
    let body: unknown;
    try {
      const raw = req.method === "POST" ? await readBody(req, bodyLimitBytes) : "";
      if (raw && isJson(req) && jsonNestsDeeperThan(raw)) return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, TOO_DEEP);
      body = raw && isJson(req) ? JSON.parse(raw) : raw;
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendGraphQLError(res, 413, ErrorCode.BAD_USER_INPUT, error.message);
      if (error instanceof InvalidUtf8Error) return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, error.message);
      return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, "The request body is not valid JSON");
    }
    // A request target never carries a fragment; one that does was written to be read two ways.
    if ((req.url ?? "").includes("#")) return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, "The request URL must not contain '#'");
    // The admission policy and Apollo read the one parse of the URL: what is judged is what runs.
    // (A POST's query string is not read by either: no parse on that path.)
    let search = req.method === "GET" ? new URL(req.url ?? "/", "http://localhost").search : "";
    const params = search ? new URLSearchParams(search) : undefined;
    if (params && queryStringJsonNestsTooDeep(params)) return sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, TOO_DEEP);
    const operation = req.method === "GET" ? queryStringOperation(params ?? new URLSearchParams()) : body;
    const rejection = await options.admit?.(operation, req);
    if (rejection) return sendGraphQLError(res, rejection.status, rejection.code, rejection.message, rejection.headers, rejection.extensions, rejection.locations);
    // `admit` fills in the text of a persisted operation sent by its hash alone. A POST's body
    // carries it to Apollo Server; a GET's URL must too, or Apollo Server answered the hash
    // from its own cache of texts it had seen, and PersistedQueryNotFound to a first caller.
    const filled = (operation as { query?: unknown } | undefined)?.query;
    if (params && !params.has("query") && typeof filled === "string") {
      params.set("query", filled);
      search = `?${params}`;
    }
    // The answer's media type follows Accept (application/json or graphql-response+json), and a
    // public answer may be kept by a shared cache: without this a CDN kept the first client's
    // media type under the URL and served it to every later one, whatever they accept.
    varyBy(res, "Accept");
    if (options.answer && (await options.answer(operation, req, res))) return;
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search,
        body,
      },
      context: () => context(req),
    });
    for (const [key, value] of response.headers) {
      if (key === "vary") varyBy(res, ...value.split(","));
      else res.setHeader(key, value);
    }
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

const TOO_DEEP = `The request's JSON nests deeper than ${MAX_JSON_NESTING} levels`;

/** Whether a GET's JSON parameters nest too deep (its query's selection braces are no JSON). */
function queryStringJsonNestsTooDeep(params: URLSearchParams): boolean {
  return ["variables", "extensions"].some((name) => jsonNestsDeeperThan(params.get(name) ?? ""));
}

/** Why a request body is refused before execution (batch too large, not allow-listed...). */
export interface BodyRejection {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /** Where in the query text the refused part is (a syntax error, the costliest field). */
  locations?: readonly { line: number; column: number }[];
}

/** A GET request's operation (from the URL's `?…` part), shaped like a POST body so one check serves both. */
function queryStringOperation(params: URLSearchParams): Record<string, unknown> {
  const json = (name: string): unknown => {
    try {
      return JSON.parse(params.get(name) ?? "null") ?? undefined;
    } catch {
      // Judged like a POST body with a wrong type: refused as the client's mistake.
      return params.get(name);
    }
  };
  return { query: params.get("query") ?? undefined, operationName: params.get("operationName") ?? undefined, variables: json("variables"), extensions: json("extensions") };
}

/** The content types a web page may send to another site without the browser asking it first (a CORS preflight). */
const SENT_WITHOUT_PREFLIGHT = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
/** Headers a page can only set on a request the browser asks the server about first (Apollo Server's). */
const PREFLIGHT_HEADERS = ["x-apollo-operation-name", "apollo-require-preflight"];
const CROSS_SITE_REFUSAL =
  "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF): send a content-type other than " +
  `${[...SENT_WITHOUT_PREFLIGHT].join(", ")}, or a non-empty ${PREFLIGHT_HEADERS.join(" or ")} header`;

/** The cross-site refusal, with how to send a request when this one was none (a page opened, text posted). */
const NO_QUERY = "The request has no query";

/**
 * A query sent by GET without a preflight header: no content type to change, so it is told of the
 * header, or to POST. urql sends every query by GET (its `preferGetMethod` defaults to
 * "within-url-limit"), and was told to change a content type its GET has none of.
 */
const GET_WITHOUT_PREFLIGHT =
  `A query sent by GET runs only with a non-empty ${PREFLIGHT_HEADERS.join(" or ")} header: without one, any web page could have made a visitor's browser send it ` +
  "(Cross-Site Request Forgery). Send the header, or POST the query with content-type application/json (urql sends queries by GET unless its client is made with preferGetMethod: false)";

function crossSiteRefusal(req: IncomingMessage, howToSend: string | undefined): string {
  const hasQuery = new URLSearchParams((req.url ?? "").split("?")[1] ?? "").has("query");
  if (req.method === "GET" && hasQuery) return GET_WITHOUT_PREFLIGHT;
  if (!howToSend) return CROSS_SITE_REFUSAL;
  if (req.method === "GET") return `${NO_QUERY}: ${howToSend}`;
  if (req.method === "POST") return `${CROSS_SITE_REFUSAL}. To send a query: ${howToSend}`;
  return CROSS_SITE_REFUSAL;
}

/**
 * Why a GET's query can never run by GET, read from its first keyword only (one token, no
 * parse: this answer is given before anything is admitted). A document whose chosen operation
 * is a later one is judged as before, by the admission policy once the request is sent right.
 */
function operationNeverSentByGet(url: string | undefined): string | undefined {
  const query = new URLSearchParams((url ?? "").split("?")[1] ?? "").get("query");
  if (!query) return undefined;
  let first: { kind: string; value?: string | undefined };
  try {
    first = new Lexer(new Source(query)).advance();
  } catch {
    return undefined;
  }
  if (first.kind !== TokenKind.NAME) return undefined;
  if (first.value === "mutation") return "Mutations are sent with POST";
  if (first.value === "subscription") return "Subscriptions are served over WebSocket (graphql-ws) on this same URL";
  return undefined;
}

/**
 * Whether any web page could have made a visitor's browser send this request: its content type is
 * missing (a GET) or one a form may send, and it has no header only a preflighted request can
 * carry. Apollo Server's rule (csrfPrevention), applied first: cross-site requests blocked only
 * after admission had spent the visitor's network's budgets (100 hidden posts of
 * `text/plain; charset=json` logIns refused signing in to everyone behind that address).
 */
export function mayBeCrossSite(req: IncomingMessage): boolean {
  const contentType = req.headers["content-type"];
  if (contentType !== undefined) {
    const essence = contentType.split(";")[0]!.trim().toLowerCase();
    if (!SENT_WITHOUT_PREFLIGHT.has(essence)) return false;
  }
  return !PREFLIGHT_HEADERS.some((header) => {
    const value = req.headers[header];
    return value !== undefined && value.length > 0;
  });
}

/**
 * The compression a request body says it is in, other than none. Bodies are never inflated
 * (a 100 KB limit read before inflating is no limit on what a gzip bomb becomes), and one read
 * as it came was refused as "not valid UTF-8", which told the client nothing it could fix.
 */
function contentEncodingOf(req: IncomingMessage): string | undefined {
  const encoding = (req.headers["content-encoding"] ?? "").trim().toLowerCase();
  return encoding === "" || encoding === "identity" ? undefined : encoding.slice(0, 40);
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers["content-type"] ?? "").includes("json");
}
