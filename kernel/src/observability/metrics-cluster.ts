import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { AggregatorRegistry } from "prom-client";
import { metricsRegistry, renderMetrics } from "./metrics-registry.js";

const REQUEST = "storefront:metrics-request";
const RESPONSE = "storefront:metrics-response";
/** A worker that cannot get the sum by then answers with its own metrics. */
const CLUSTER_DEADLINE_MS = 3_000;

interface MetricsMessage {
  type?: string;
  id?: string;
  text?: string;
}

let aggregated = false;

/**
 * In a node:cluster primary (the gateway with GATEWAY_WORKERS above 1): answers any worker's
 * request with the metrics of every worker summed, so a scrape of the shared port sees the
 * whole gateway whichever worker the connection lands on.
 */
export function aggregateWorkerMetrics(): void {
  if (aggregated || !cluster.isPrimary) return;
  aggregated = true;
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      () => worker.send({ type: RESPONSE, id: message.id }),
    );
  });
}

if (cluster.isWorker) {
  // Workers answer the primary's collection from the platform's registry, not prom-client's global one.
  AggregatorRegistry.setRegistries([metricsRegistry]);
  new AggregatorRegistry();
}

/** The process's metrics; in a cluster worker, every worker's, summed by the primary. */
export async function renderProcessMetrics(): Promise<string> {
  if (!cluster.isWorker || !process.send) return renderMetrics();
  const id = randomUUID();
  const summed = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => finish(undefined), CLUSTER_DEADLINE_MS);
    const onMessage = (message: MetricsMessage) => {
      if (message?.type === RESPONSE && message.id === id) finish(message.text);
    };
    function finish(text: string | undefined) {
      clearTimeout(timer);
      process.off("message", onMessage);
      resolve(text);
    }
    process.on("message", onMessage);
    process.send!({ type: REQUEST, id });
  });
  return summed ?? renderMetrics();
}
