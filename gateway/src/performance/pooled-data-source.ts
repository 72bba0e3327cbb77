import { GraphQLError } from "graphql";
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { parseCacheControlHeader } from "@apollo/gateway/dist/datasources/parseCacheControlHeader.js";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import type { Fetcher, FetcherHeaders, FetcherResponse } from "@apollo/utils.fetcher";
import { Headers, Pool } from "undici";
import { exchange, type Exchange } from "./subgraph-exchange.js";
import { ErrorCode, WeighedMemo } from "#kernel";
import { replicaUrls, ReplicaSet, sendToAReplica, type Replica } from "#kernel/http/replica-set.ts";
import { createAdmissionGate, type AdmissionGate } from "#kernel/runtime/admission-gate.ts";
import type { GatewayContext } from "../gateway-context.js";

/**
 * A subgraph data source that talks to its subgraph over a pool of keep-alive connections
 * (undici) instead of the stock fetcher (make-fetch-happen over node-fetch, with its HTTP
 * cache machinery on every call), and sends each fetch of a query plan without the stock data
 * source's per-call WHATWG objects: it built a node-fetch Headers and a node-fetch Request
 * (URL parsing included) for every subgraph call, the Request only to hand it to error hooks
 * this gateway does not use. What reaches the subgraph is the same: the same JSON body, the
 * signed identity header, and the same errors for a failed answer (`errorFromResponse`).
 *
 * Measured in BENCHMARKS.md: the transport was the largest single cost of an uncached
 * cross-subgraph read through the stock gateway.
 *
 * With several replicas of the subgraph (a ReplicaSet, or `url` listing them), each replica
 * has its pool and every request goes to the one the set picks; a query whose connection
 * fails before its answer is sent to another replica, a mutation only when it never connected.
 */
export class PooledGraphQLDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly pools: Map<Replica, Pool>;
  private readonly headersFor: (context: GatewayContext) => Record<string, string>;

  constructor(options: {
    url: string;
    /** The subgraph's replicas, shared with readiness and other users; else built from `url`. */
    replicas?: ReplicaSet;
    connections: number;
    /** A call (every replica it tries included) is abandoned after this long. */
    timeoutMs: number;
    /** How long a call may wait for a free connection before it is refused OVERLOADED, unsent. */
    queueMs: number;
    /** Headers a call carries besides its content type: the caller's signed identity. */
    headersFor: (context: GatewayContext) => Record<string, string>;
  }) {
    const replicas = options.replicas ?? new ReplicaSet({ name: options.url, urls: replicaUrls(options.url) });
    // Subgraphs keep idle connections 65 s; dropping ours sooner never reuses a socket the
    // server is about to close.
    const pools = new Map(replicas.replicas.map((replica) => [replica, new Pool(replica.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 })]));
    // A request waits for one of the pool's connections at most `queueMs`: past it the subgraph is
    // past its capacity, and the request is refused unsent instead of waiting out its deadline.
    // A freed connection goes to the caller's network holding fewest of them (see AdmissionGate),
    // so one network's backlog is its own to wait out, not every other shopper's.
    // Time is the only bound: a burst (a replica's share failing over to this one) is served in
    // milliseconds and must not be refused for its size; the gateway's own connection limits
    // bound how many can wait.
    const gates = new Map(
      replicas.replicas.map((replica) => [
        replica,
        createAdmissionGate({
          name: `subgraph ${replicas.name}`,
          what: "requests to a service this operation needs",
          maxInFlight: options.connections,
          maxWaitMs: options.queueMs,
          maxQueue: Number.POSITIVE_INFINITY,
        }),
      ]),
    );
    super({ url: replicas.replicas[0]!.url, fetcher: pooledFetcher(replicas, pools, gates, options.timeoutMs) });
    this.pools = pools;
    this.headersFor = options.headersFor;
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error("Missing query");
    const headers: Record<string, string> = { "content-type": "application/json", ...this.headersFor(options.context as GatewayContext) };
    // A plan's own headers (a trace request) travel too, as the stock data source sends them.
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name.toLowerCase()] ??= value;
    const body = requestBody(request.query, request.variables, request.operationName, request.extensions);
    // A read nobody waits for any more is dropped; a mutation is always sent and seen through,
    // whether or not its client is still there (the next root field of `mutation { a b }` too).
    const signal = isQueryBody(body) ? (options.context as GatewayContext | undefined)?.signal : undefined;
    const caller = (options.context as GatewayContext | undefined)?.caller;
    const init: PartyRequestInit = { method: "POST", headers, body, ...(signal ? { signal } : {}), ...(caller ? { party: callerParty(caller) } : {}) };
    const response = await this.fetcher(this.url, init);
    // A subgraph's front (a proxy, a replica draining) saying it cannot answer now is a failure
    // to retry, as a refused connection is; the stock error, uncoded, read as unexpected
    // (INTERNAL_SERVER_ERROR), which nobody should retry.
    if (UNAVAILABLE_STATUSES.has(response.status)) throw new GraphQLError("A service this operation needs is unavailable for a moment; please retry", { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
    // A call over the subgraph's body limit is the operation's size, not a fault: the measure
    // admits nothing that large at the default limits, and one a raised MAX_QUERY_COST lets
    // through is the client's to narrow, answered with a code (no stack logged per request).
    if (response.status === 413) {
      throw new GraphQLError("The operation asks one service for more than one call carries: ask for fewer items at once", {
        extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, reason: "SUBGRAPH_REQUEST_TOO_LARGE" },
      });
    }
    if (!response.ok) throw await this.errorFromResponse(response);
    const answer = await this.parseBody(response);
    if (typeof answer !== "object" || answer === null) throw new Error(`Expected JSON response body, but received: ${answer}`);
    const policy = "incomingRequestContext" in options ? options.incomingRequestContext.overallCachePolicy : undefined;
    // A subgraph's Cache-Control narrows the whole answer's, as the stock data source does.
    if (this.honorSubgraphCacheControlHeader && policy && "restrict" in policy) policy.restrict(cacheHint(response.headers.get("cache-control")));
    // The parsed answer is this call's own: given its `http` in place rather than copied (a
    // spread per subgraph answer was 1% of the gateway's CPU on a product read).
    (answer as { http?: unknown }).http = response;
    return answer as GatewayGraphQLResponse;
  }

  /** Closes the pools' connections (gateway shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

type CacheHint = Readonly<{ maxAge: number; scope?: "PRIVATE" | "PUBLIC" }>;

/** Hints of the Cache-Control values the subgraphs sent, by value: a subgraph sends a few. */
const hintsRead = new Map<string | null, CacheHint>();
/** Past this many values, a value is read on each answer that sends it, not remembered. */
const MOST_HINTS_REMEMBERED = 256;

/**
 * A subgraph's Cache-Control as the stock data source reads it, read once per value: parsing
 * every answer's header (Apollo's parser, then our checks) was 0.7% of the gateway's CPU on a
 * product read. A policy's `restrict` only reads the hint, so one frozen hint serves every answer.
 */
function cacheHint(header: string | null): CacheHint {
  let hint = hintsRead.get(header);
  if (hint === undefined) {
    hint = Object.freeze(readCacheHint(header));
    if (hintsRead.size < MOST_HINTS_REMEMBERED) hintsRead.set(header, hint);
  }
  return hint;
}

/** A subgraph's Cache-Control as the stock data source reads it (its own parser): max-age and scope, else uncacheable. */
function readCacheHint(header: string | null): CacheHint {
  const parsed = parseCacheControlHeader(header);
  const maxAge = parsed["max-age"];
  return {
    maxAge: typeof maxAge === "string" && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0,
    // As the stock data source: public, read after private, wins when both are given.
    ...(parsed.public === true ? { scope: "PUBLIC" as const } : parsed.private === true ? { scope: "PRIVATE" as const } : {}),
  };
}

/**
 * Fetch texts remembered at most, and their characters: the oldest goes first past either. A
 * fetch's text is the caller's to shape (a literal argument is written into it whole), and a
 * count alone bounded nothing: 2,000 product ids written as 90 KB literals were held forever,
 * each text with its JSON, 360 MB. The golden operations' fetches hold a few hundred characters each.
 */
const MOST_QUERIES_REMEMBERED = 2_000;
const MOST_QUERY_CHARACTERS_REMEMBERED = 2_000_000;
/** Each fetch text's JSON string, by text: the plans' fetches are a few texts, sent on every call. */
const queriesWritten = new WeighedMemo<string, string>({ weight: MOST_QUERY_CHARACTERS_REMEMBERED, entries: MOST_QUERIES_REMEMBERED });

/**
 * The stock body, key for key and byte for byte `JSON.stringify({ query, variables,
 * operationName, extensions })`: the query first (isQueryBody reads it), then what the plan
 * sent, a key left out where its value is (JSON's undefined). The query's JSON is written once
 * per fetch text: escaping the same text on every call was 0.6% of the gateway's CPU.
 */
export function requestBody(query: string, variables: unknown, operationName: unknown, extensions: unknown): string {
  let written = queriesWritten.get(query);
  if (written === undefined) {
    written = JSON.stringify(query);
    queriesWritten.set(query, written, query.length + written.length);
  }
  let body = `{"query":${written}`;
  const variablesJson = JSON.stringify(variables);
  if (variablesJson !== undefined) body += `,"variables":${variablesJson}`;
  const operationNameJson = JSON.stringify(operationName);
  if (operationNameJson !== undefined) body += `,"operationName":${operationNameJson}`;
  const extensionsJson = JSON.stringify(extensions);
  if (extensionsJson !== undefined) body += `,"extensions":${extensionsJson}`;
  return `${body}}`;
}

/** A call's request, naming the party whose share of the subgraph's connections it waits in. */
type PartyRequestInit = NonNullable<Parameters<Fetcher>[1]> & { party?: string };

/**
 * Whose share of a subgraph's connections a call waits in: its client network (the /48 site of
 * an IPv6 /64), whatever account signs it, as every per-network budget counts, so accounts made
 * for it buy no more of the connections than one has.
 */
const callerParty = (caller: GatewayContext["caller"]): string => caller.site ?? caller.network;

/** Bad gateway, service unavailable, gateway timeout: the subgraph is not there for now. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/** Subgraph requests are `{"query":"...` as the data source writes them; only a query is safe to resend. */
const isQueryBody = (body: unknown): boolean => typeof body === "string" && body.startsWith('{"query":"') && !/^\{"query":"\s*mutation\b/.test(body);

function pooledFetcher(replicas: ReplicaSet, pools: Map<Replica, Pool>, gates: Map<Replica, AdmissionGate>, timeoutMs: number): Fetcher {
  const paths = new Map(replicas.replicas.map((replica) => [replica, new URL(replica.url).pathname + new URL(replica.url).search]));
  return async (url, init = {}) => {
    // Without a deadline a replica that accepts and never answers (a frozen process, a black
    // hole) held the caller for undici's 300 s. The deadline covers the wait for a pooled
    // connection too, which undici's own timeouts do not. A timer cleared when the call ends,
    // aborting the call in flight itself: AbortSignal.timeout's timer fired a minute after every
    // call, AbortSignal.any added a signal of its own, and an AbortController per call took an
    // abort listener in undici's request besides (3% of the gateway's CPU on a product read).
    let current: Exchange | undefined;
    let abortedFor: { reason: Error } | undefined;
    const abandon = (reason: Error) => {
      abortedFor ??= { reason };
      current?.abort(reason);
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abandon(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    }, timeoutMs).unref();
    const caller = init.signal as AbortSignal | undefined;
    const callerLeft = () => abandon(caller!.reason as Error);
    if (caller?.aborted) callerLeft();
    else caller?.addEventListener("abort", callerLeft, { once: true });
    try {
      return await sendToAReplica(replicas, isQueryBody(init.body), async (replica) => {
        const leave = await gates.get(replica)!.enter((init as PartyRequestInit).party);
        try {
          // Abandoned before it is sent (its client gone, its deadline past): never sent, as undici's request refused an aborted signal.
          if (abortedFor) throw abortedFor.reason;
          current = exchange(pools.get(replica)!, { path: paths.get(replica)!, headers: init.headers as Record<string, string>, body: init.body as string });
          const { statusCode, headers, text } = await current.answer;
          return new PooledResponse(url, statusCode, headers, text);
        } finally {
          current = undefined;
          leave();
        }
      });
    } catch (error) {
      if (timedOut) throw new SubgraphTimeoutError(replicas.name, timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", callerLeft);
    }
  };
}

/** A subgraph call past its deadline: ETIMEDOUT, which clients are told to retry (SERVICE_UNAVAILABLE). */
export class SubgraphTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(subgraph: string, timeoutMs: number) {
    super(`Subgraph ${subgraph} did not answer within ${timeoutMs} ms`);
    this.name = "SubgraphTimeoutError";
  }
}

/**
 * An answer's headers as node parsed them, read by name; WHATWG Headers are built only for
 * what reads them all or changes them. Methods on the prototype: eleven closures made per
 * subgraph answer (each named by the TypeScript loader) were 1.5% of the gateway's CPU.
 */
class RawHeadersView implements FetcherHeaders {
  private full: Headers | undefined;

  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    // Once built (something changed or listed them), the built headers are the truth.
    if (this.full) return this.full.get(name);
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  }

  has(name: string): boolean {
    if (this.full) return this.full.has(name);
    return this.raw[name.toLowerCase()] !== undefined;
  }

  append(name: string, value: string): void {
    this.headers().append(name, value);
  }

  delete(name: string): void {
    this.headers().delete(name);
  }

  set(name: string, value: string): void {
    this.headers().set(name, value);
  }

  entries(): Iterator<[string, string]> {
    return this.headers().entries();
  }

  keys(): Iterator<string> {
    return this.headers().keys();
  }

  values(): Iterator<string> {
    return this.headers().values();
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.headers()[Symbol.iterator]();
  }

  private headers(): Headers {
    return (this.full ??= new Headers(Object.entries(this.raw).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v] as [string, string]]))));
  }
}

/**
 * The slice of a Fetch Response the data source reads (status, one header, the JSON body),
 * without building WHATWG headers and streams on every subgraph call.
 */
class PooledResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  private headerView: FetcherHeaders | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    private readonly rawHeaders: Record<string, string | string[] | undefined>,
    private readonly body: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return String(this.status);
  }

  /** Read twice per answer (content type, cache control): built once. */
  get headers(): FetcherHeaders {
    return (this.headerView ??= new RawHeadersView(this.rawHeaders));
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(this.body).buffer as ArrayBuffer;
  }

  clone(): FetcherResponse {
    return new PooledResponse(this.url, this.status, this.rawHeaders, this.body);
  }
}
