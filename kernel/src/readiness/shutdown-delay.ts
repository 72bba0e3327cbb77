import type { Logger } from "../logging/logger.js";

/**
 * The stop of one process, shared by every server it runs. Told to stop, the process says at
 * once that it is not ready (`stopping`) yet keeps serving for `delayMs`: load balancers and
 * the gateways' replica sets go on sending until they see readiness fail or the endpoint
 * removed, and a server that stopped accepting at once would reset what they sent meanwhile.
 * Only then do its servers stop accepting and drain. `begin` is idempotent, so the subgraphs of
 * one process wait out one delay together, not one each.
 */
export interface ShutdownDelay {
  readonly stopping: boolean;
  begin(): Promise<void>;
}

export function createShutdownDelay(delayMs: number, logger?: Logger): ShutdownDelay {
  let waiting: Promise<void> | undefined;
  return {
    get stopping() {
      return waiting !== undefined;
    },
    begin() {
      if (waiting) return waiting;
      if (delayMs > 0) logger?.info("not ready; serving until the shutdown delay ends", { milliseconds: delayMs });
      waiting = delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve();
      return waiting;
    },
  };
}
