import type { ApolloServerPlugin } from "@apollo/server";
import type { DocumentNode, GraphQLSchema } from "graphql";
import type { Config, DomainEvent, EventBus, Logger } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { createPublicCatalogPolicy } from "./public-catalog-policy.js";
import { createResponseCache, type ResponseCache } from "./response-cache.js";
import { responseCachePlugin, type CachedAnswer } from "./response-cache-plugin.js";
import { startCatalogInvalidation } from "./catalog-invalidation.js";

export interface RunningResponseCache {
  /** The Apollo plugins to install: none when the cache is off. */
  plugins: ApolloServerPlugin<GatewayContext>[];
  cache?: ResponseCache<CachedAnswer>;
  /**
   * For an answer written without the plugins (persisted-answers.ts): whether the cache looks
   * this operation up, and the status header it gives one it does not (`bypass`), if any.
   * Absent when the cache is off.
   */
  bypass?: { looksUp(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): boolean; statusHeader: boolean };
  stop(): Promise<void>;
}

/**
 * Wires the public catalog response cache: store, policy from the supergraph, plugin, and
 * invalidation from the event bus. The bus must be the one the catalog and inventory
 * publish on (Kafka across processes, the embedded bus inside one process): a cache that
 * never hears of changes would serve them stale until its TTL.
 */
export async function startResponseCache(deps: {
  settings: Config["gateway"]["performance"];
  supergraphSdl: string;
  bus: EventBus;
  logger: Logger;
  onApplied?: (event: DomainEvent) => void;
}): Promise<RunningResponseCache> {
  const { settings } = deps;
  if (settings.responseCacheTtlSeconds === 0) return { plugins: [], stop: async () => undefined };
  const cache = createResponseCache<CachedAnswer>({
    maxEntries: settings.responseCacheMaxEntries,
    maxBytes: settings.responseCacheMaxMegabytes * 1024 * 1024,
    ttlMs: settings.responseCacheTtlSeconds * 1000,
    settleMs: settings.responseCacheSettleMs,
  });
  const invalidation = await startCatalogInvalidation({ bus: deps.bus, cache: cache as ResponseCache<unknown>, logger: deps.logger, onApplied: deps.onApplied });
  const policy = createPublicCatalogPolicy(deps.supergraphSdl);
  return {
    plugins: [responseCachePlugin(cache, policy, { statusHeader: settings.responseCacheStatusHeader })],
    cache,
    bypass: { looksUp: (schema, document, operationName) => policy(schema, document, operationName).cacheable, statusHeader: settings.responseCacheStatusHeader },
    async stop() {
      await invalidation.stop();
      cache.clear();
    },
  };
}
