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
