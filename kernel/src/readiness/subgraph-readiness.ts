import type { Platform } from "../runtime/platform.js";
import { cachedEngineReadiness, type EngineProbe, type EngineReadinessReport } from "./engine-readiness.js";
import type { EngineRole } from "./platform-probes.js";
import { createShutdownDelay, type ShutdownDelay } from "./shutdown-delay.js";

/** What a subgraph's /readyz answers from: its engines, and the stop of its process. */
export interface SubgraphReadiness {
  shutdown: ShutdownDelay;
  report(): Promise<EngineReadinessReport>;
}

/**
 * A subgraph's readiness over the engines it names: `needs`, without which it cannot answer
 * (a relational subgraph's PostgreSQL); `uses`, which it falls back from (Redis). An engine
 * the process runs embedded has no probe and is left out.
 */
export function subgraphReadiness(platform: Pick<Platform, "readiness">, roles: { needs: EngineRole[]; uses?: EngineRole[] }): SubgraphReadiness {
  const probes = platform.readiness?.probes ?? {};
  const pick = (names: EngineRole[] = []) => Object.fromEntries(names.flatMap((name) => (probes[name] ? [[name, probes[name]] as [string, EngineProbe]] : [])));
  return {
    shutdown: platform.readiness?.shutdown ?? createShutdownDelay(0),
    report: cachedEngineReadiness({ needs: pick(roles.needs), uses: pick(roles.uses) }),
  };
}
