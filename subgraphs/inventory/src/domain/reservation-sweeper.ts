import type { Logger } from "#kernel";

export interface ReservationSweeperDeps {
  expireDue: (limit: number) => Promise<number>;
  /** Milliseconds until the earliest held reservation expires (0 or less: one is due); null when none is held. */
  untilNextExpiry: () => Promise<number | null>;
  /** Sweeps are at least this far apart: an expired reservation waits at most this long after its time. */
  intervalMs: number;
  /**
   * The longest wait, however far the next expiry: the reservation TTL (capped at a minute by
   * the subgraph), so a reservation made after the last look, by any process, is never missed.
   */
  idleMs: number;
  batchSize: number;
  logger: Logger;
}

/**
 * Expires reservations past their time, in batches until none is due, then sleeps until the
 * earliest held one expires (no sooner than `intervalMs`, no later than `idleMs`), so an idle
 * store is looked at about once a TTL instead of every interval. Nothing made later can expire
 * sooner: every reservation lives a TTL. The truth is in PostgreSQL, so a restart loses nothing:
 * the next sweep finds what the last process left. Several processes may sweep at once (the
 * ledger skips rows another sweep holds), so every inventory process runs one.
 */
export function startReservationSweeper(deps: ReservationSweeperDeps) {
  const { expireDue, untilNextExpiry, batchSize, logger } = deps;
  const idleMs = Math.max(deps.intervalMs, deps.idleMs);
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Sweeps what is due and answers how long to wait before the next sweep. */
  async function sweep(): Promise<number> {
    try {
      const until = await untilNextExpiry();
      if (until !== null && until <= 0) while (!stopped && (await expireDue(batchSize)) === batchSize);
      const next = until !== null && until <= 0 ? await untilNextExpiry() : until;
      return next === null ? idleMs : Math.min(idleMs, Math.max(deps.intervalMs, next));
    } catch (error) {
      logger.warn("reservation sweep failed; the next one retries", { error: String(error) });
      return deps.intervalMs;
    }
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    clearTimeout(timer);
    running ??= sweep().then((waitMs) => {
      running = undefined;
      if (stopped) return;
      timer = setTimeout(() => void tick(), waitMs);
      timer.unref();
    });
    return running;
  }

  void tick();
  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export type ReservationSweeper = ReturnType<typeof startReservationSweeper>;
