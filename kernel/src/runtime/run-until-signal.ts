import type { Logger } from "../logging/logger.js";

/**
 * How long a repeat of the stopping signal is taken as the same stop. `npm start` runs node as
 * npm's child in the terminal's process group: one Ctrl-C reaches node from the terminal and
 * again from npm, which forwards what it receives, and taken as a second Ctrl-C it cut the
 * drain short. A person's second Ctrl-C comes later.
 */
export const SAME_STOP_MS = 1_000;

/**
 * Closes everything in order on SIGINT/SIGTERM, or SIGHUP (the terminal closed: its default
 * ended the process without closing anything, leaving an embedded PostgreSQL behind), then
 * exits; a second signal exits at once.
 */
export function runUntilSignal(logger: Logger, closers: (() => Promise<void>)[]): void {
  let stopping: { signal: string; at: number } | undefined;
  const stop = async (signal: string) => {
    if (stopping) {
      if (signal === stopping.signal && performance.now() - stopping.at < SAME_STOP_MS) return;
      process.exit(1);
    }
    stopping = { signal, at: performance.now() };
    logger.info("shutting down", { signal });
    for (const close of closers) await close().catch((error: unknown) => logger.warn("close failed", { error: String(error) }));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGHUP", () => void stop("SIGHUP"));
}
