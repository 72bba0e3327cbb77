import { replicaUrls } from "#kernel/http/replica-set.ts";

/**
 * Asks every subgraph's /healthz; the gateway is ready when each subgraph has a replica that
 * answers (a URL may list several replicas: one down of two still serves, and says so).
 */
export async function checkSubgraphs(urls: Record<string, string>, timeoutMs = 1500) {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, list]) => {
      const states = await Promise.all(replicaUrls(list).map((url) => checkOne(url, timeoutMs)));
      const up = states.filter((state) => state === "up").length;
      if (states.length === 1 || up === 0) return [name, states[0]!] as const;
      return [name, up === states.length ? "up" : `up (${up} of ${states.length} replicas)`] as const;
    }),
  );
  const subgraphs = Object.fromEntries(entries);
  return { ready: entries.every(([, state]) => state.startsWith("up")), subgraphs };
}

async function checkOne(url: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(url.replace(/\/graphql$/, "/healthz"), { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? "up" : `http ${response.status}`;
  } catch (error) {
    return `down (${(error as Error).name})`;
  }
}

type Readiness = Awaited<ReturnType<typeof checkSubgraphs>>;

/**
 * Readiness as probes and load balancers ask for it, at any rate: one fan-out to the
 * subgraphs at a time, and its answer reused for `reuseMs`, so /readyz costs the subgraphs
 * at most one check per subgraph per interval however often it is called.
 */
export function cachedReadiness(urls: Record<string, string>, reuseMs = 2_000, clock: () => number = Date.now) {
  let last: { at: number; report: Readiness } | undefined;
  let inFlight: Promise<Readiness> | undefined;
  return async (): Promise<Readiness> => {
    if (last && clock() - last.at < reuseMs) return last.report;
    inFlight ??= checkSubgraphs(urls)
      .then((report) => {
        last = { at: clock(), report };
        return report;
      })
      .finally(() => (inFlight = undefined));
    return inFlight;
  };
}
