/** Asks every subgraph's /healthz; the gateway is ready only when all of them answer. */
export async function checkSubgraphs(urls: Record<string, string>, timeoutMs = 1500) {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const response = await fetch(url.replace(/\/graphql$/, "/healthz"), { signal: AbortSignal.timeout(timeoutMs) });
        return [name, response.ok ? "up" : `http ${response.status}`] as const;
      } catch (error) {
        return [name, `down (${(error as Error).name})`] as const;
      }
    }),
  );
  const subgraphs = Object.fromEntries(entries);
  return { ready: entries.every(([, state]) => state === "up"), subgraphs };
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
