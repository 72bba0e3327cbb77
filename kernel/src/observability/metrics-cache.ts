import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const lookups = new Counter({
  name: "storefront_cache_requests_total",
  help: "Cache lookups by cache (response: the gateway's public catalog answers; product: the products subgraph's hot-product cache) and result (hit, coalesced, miss).",
  labelNames: ["cache", "result"] as const,
  registers: [metricsRegistry],
});

export type CacheName = "response" | "product";

export function countCacheLookups(cache: CacheName, result: "hit" | "coalesced" | "miss", count = 1): void {
  if (count > 0) lookups.inc({ cache, result }, count);
}
