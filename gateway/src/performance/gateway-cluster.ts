import cluster from "node:cluster";
import { aggregateWorkerMetrics, runUntilSignal, type Logger } from "#kernel";

/**
 * Runs `startWorker` in `workers` node:cluster workers sharing one port, so one gateway host
 * uses every core it has (the gateway is CPU-bound: parsing, planning, merging subgraph
 * answers). The primary only supervises: a worker that dies is replaced, and a signal stops
 * every worker before the primary exits. With one worker, this process is the gateway.
 *
 * Each worker is a whole gateway with its own caches and its own event consumer group.
 * Returns true in the primary (which must do nothing else) and false in a worker.
 */
export function superviseGatewayWorkers(workers: number, logger: Logger): boolean {
  if (workers <= 1 || !cluster.isPrimary) return false;
  // A scrape of the shared port reaches one worker; it answers with all of them (from here).
  aggregateWorkerMetrics();
  let stopping = false;
  const fork = () =>
    cluster.fork().on("exit", (code, signal) => {
      if (stopping) return;
      logger.error("gateway worker exited; starting another", { code, signal });
      fork();
    });
  for (let i = 0; i < workers; i++) fork();
  runUntilSignal(logger, [
    async () => {
      stopping = true;
      const running = Object.values(cluster.workers ?? {}).filter((worker) => worker && !worker.isDead());
      await Promise.all(
        running.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker!.once("exit", () => resolve());
              worker!.process.kill("SIGTERM");
            }),
        ),
      );
    },
  ]);
  return true;
}
