/**
 * How one engine is asked whether it answers: rejects (or runs past the deadline) when not.
 * `close` releases what the probe keeps open between calls.
 */
export type EngineProbe = (() => Promise<void>) & { close?: () => Promise<void> };

export interface EngineReadinessReport {
  ready: boolean;
  status: "ready" | "engine unreachable" | "shutting down";
  /** Each engine probed: "up", or "down: <why>". */
  engines: Record<string, string>;
}

export interface EngineDependencies {
  /** Engines without which this process cannot answer: one down makes it not ready. */
  needs: Record<string, EngineProbe>;
  /**
   * Engines it falls back from (a cache answered from the database instead): reported, but
   * one down leaves it ready, for every replica would be taken out of service at once for a
   * loss the platform works around.
   */
  uses?: Record<string, EngineProbe>;
}

const PROBE_DEADLINE_MS = 1_000;

/**
 * Readiness from the engines a process depends on, each probe bounded by a deadline (an engine
 * that accepts connections but never answers is down, not slow). The report is reused for
 * `reuseMs`, and one older than that is still answered while a new one is made in the
 * background, shared by every request meanwhile: probes from several orchestrators and
 * balancers cost one round of engine calls, and none waits on it (the gateways give a check
 * 400 ms, less than a stalled engine's probe takes to time out). Only the first waits.
 */
export function cachedEngineReadiness(dependencies: EngineDependencies, reuseMs = 2_000, clock: () => number = Date.now) {
  let last: { at: number; report: EngineReadinessReport } | undefined;
  let inFlight: Promise<EngineReadinessReport> | undefined;
  const refresh = () =>
    (inFlight ??= probeEngines(dependencies)
      .then((report) => {
        last = { at: clock(), report };
        return report;
      })
      .finally(() => (inFlight = undefined)));
  return (): Promise<EngineReadinessReport> => {
    if (!last) return refresh();
    if (clock() - last.at >= reuseMs) void refresh();
    return Promise.resolve(last.report);
  };
}

async function probeEngines({ needs, uses = {} }: EngineDependencies): Promise<EngineReadinessReport> {
  const probed = async ([name, probe]: [string, EngineProbe]) => [name, await withinDeadline(probe)] as const;
  const [needed, used] = await Promise.all([Promise.all(Object.entries(needs).map(probed)), Promise.all(Object.entries(uses).map(probed))]);
  const ready = needed.every(([, state]) => state === "up");
  return { ready, status: ready ? "ready" : "engine unreachable", engines: Object.fromEntries([...needed, ...used]) };
}

async function withinDeadline(probe: EngineProbe): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_DEADLINE_MS} ms`)), PROBE_DEADLINE_MS);
  });
  try {
    await Promise.race([probe(), deadline]);
    return "up";
  } catch (error) {
    return `down: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}
