import type { Logger } from "../logging/logger.js";

/**
 * Closes everything in order on SIGINT/SIGTERM, or SIGHUP (the terminal closed: its default
 * ended the process without closing anything, leaving an embedded PostgreSQL behind), then
 * exits; a second signal exits at once.
 */
export function runUntilSignal(logger: Logger, closers: (() => Promise<void>)[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info("shutting down", { signal });
    for (const close of closers) await close().catch((error: unknown) => logger.warn("close failed", { error: String(error) }));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGHUP", () => void stop("SIGHUP"));
}
