import autocannon from "autocannon";

/** One request of a scenario, with the check its response must pass. */
export interface LoadRequest {
  body: string;
  headers?: Record<string, string>;
  /** Returns why the response is wrong, or undefined when it is right. */
  check(status: number, body: string, headers: Record<string, string | string[]>): string | undefined;
}

export interface LoadResult {
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Transport errors, timeouts and non-2xx answers. */
  errors: number;
  /** 2xx answers whose body failed the scenario's check. */
  wrong: number;
  /** The first wrong answer, to show what went wrong. */
  firstWrong?: string;
  /** Counts of the gateway's x-response-cache header values (hit, coalesced, miss, bypass). */
  cache: Record<string, number>;
}

/**
 * Drives `url` with `connections` closed-loop clients for `durationSeconds` (autocannon, in
 * this process) and checks EVERY response with the scenario's `check`: a benchmark that
 * counted fast wrong answers would reward a broken cache.
 */
export async function runLoad(options: {
  url: string;
  connections: number;
  durationSeconds: number;
  next: (client: number) => LoadRequest;
  /** Requests a second over all connections (autocannon's overallRate); unset, each sends its next as soon as it is answered. */
  overallRate?: number;
}): Promise<LoadResult> {
  let wrong = 0;
  let firstWrong: string | undefined;
  const cache: Record<string, number> = {};
  type Context = { check?: LoadRequest["check"] };
  // One request spec per connection, bound to its number: autocannon resets a connection's
  // context after every request, so a virtual client's identity (one signed-in user per
  // connection) has to live in the spec itself.
  const requestOf = (client: number) => ({
    method: "POST",
    setupRequest(request: Record<string, unknown>, context: Context) {
      const next = options.next(client);
      context.check = next.check;
      return { ...request, method: "POST", body: next.body, headers: { "content-type": "application/json", ...next.headers } };
    },
    onResponse(status: number, body: string, context: Context, headers: Record<string, string | string[]>) {
      const cacheStatus = headers["x-response-cache"];
      if (typeof cacheStatus === "string") cache[cacheStatus] = (cache[cacheStatus] ?? 0) + 1;
      if (status < 200 || status >= 300) return; // counted by autocannon as non2xx
      const problem = context.check?.(status, body, headers);
      if (problem) {
        wrong += 1;
        firstWrong ??= `${problem}: ${body.slice(0, 300)}`;
      }
    },
  });
  let clients = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [requestOf(0) as never],
    setupClient(client: { setRequests(requests: unknown[]): void }) {
      client.setRequests([requestOf(clients++ % options.connections)]);
    },
  } as never);
  return {
    requests: result.requests.total,
    rps: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors + result.timeouts + result.non2xx,
    wrong,
    firstWrong,
    cache,
  };
}
