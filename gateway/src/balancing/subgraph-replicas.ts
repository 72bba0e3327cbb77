import type { Logger } from "#kernel";
import { replicaUrls, ReplicaSet } from "#kernel/http/replica-set.ts";

/**
 * One health-checked ReplicaSet per subgraph, from its routing URL (a comma-separated list
 * when the subgraph runs as several processes). The query planner's data sources, the
 * readiness probe and the image proxy share them, so they agree on which replicas are up and
 * checks run once per replica, not once per user.
 */
export function startSubgraphReplicas(subgraphUrls: Record<string, string>, logger: Logger) {
  const sets: Record<string, ReplicaSet> = Object.fromEntries(
    Object.entries(subgraphUrls).map(([name, url]) => [name, new ReplicaSet({ name, urls: replicaUrls(url), logger }).start()]),
  );
  return {
    sets,
    stop(): void {
      for (const set of Object.values(sets)) set.stop();
    },
  };
}
