import { performance } from "node:perf_hooks";
import type { Logger } from "../logging/logger.js";

/**
 * A clock that tells the time of a shared reference (the database every replica writes its
 * times into) rather than the host's. Reservation expiries, payment ages and lease ends are
 * stamped by one process and judged by another: with each reading its own host clock, a
 * replica whose clock ran 20 minutes ahead expired every hold the others had just made, and
 * one 20 minutes behind stamped holds that the others expired at once.
 *
 * The reference is read once at start and again every `reanchorMs`; between readings the time
 * moves with the monotonic clock, so a host clock stepped by NTP or by hand changes nothing.
 * A reading is taken as the midpoint of its round trip. A reading that fails keeps the last
 * anchor (the monotonic clock goes on); until a first reading succeeds, the host clock stands
 * in, so a process starting while its database is down still starts.
 */
export interface AnchoredClock {
  now(): Date;
  /** Milliseconds the reference is ahead of this host's clock at the last reading. */
  offsetMs(): number;
  stop(): void;
}

export async function startAnchoredClock(options: {
  /** The shared time, e.g. `SELECT clock_timestamp()`. */
  reference: () => Promise<Date>;
  reanchorMs?: number;
  logger?: Logger;
  /** Monotonic milliseconds (tests). */
  elapsed?: () => number;
  /** The host's wall clock, only used until the first reading succeeds and to report the offset. */
  host?: () => number;
}): Promise<AnchoredClock> {
  const elapsed = options.elapsed ?? (() => performance.now());
  const host = options.host ?? (() => Date.now());
  let anchor = { at: host(), elapsed: elapsed() };
  let offset = 0;

  async function reanchor(): Promise<void> {
    const before = elapsed();
    try {
      const reference = (await options.reference()).getTime();
      const after = elapsed();
      if (!Number.isFinite(reference)) throw new Error("the reference clock answered no time");
      anchor = { at: reference + (after - before) / 2, elapsed: after };
      offset = Math.round(reference - host());
    } catch (error) {
      options.logger?.warn("reference clock unreadable; keeping the last reading", { error: String(error) });
    }
  }

  await reanchor();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= reanchor().finally(() => (running = undefined));
  }, options.reanchorMs ?? 60_000);
  timer.unref();
  return {
    now: () => new Date(anchor.at + (elapsed() - anchor.elapsed)),
    offsetMs: () => offset,
    stop: () => clearInterval(timer),
  };
}
