import type { Logger } from "#kernel";

/**
 * Expires reservations past their time, every `intervalMs`, in batches until none is due.
 * The truth is in PostgreSQL, so a restart loses nothing: the next sweep finds what the
 * last process left. Several processes may sweep at once (the ledger skips rows another
 * sweep holds), so every inventory process runs one.
 */
export function startReservationSweeper(deps: { expireDue: (limit: number) => Promise<number>; intervalMs: number; batchSize: number; logger: Logger }) {
  const { expireDue, batchSize, logger } = deps;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function sweep(): Promise<void> {
    while (!stopped && (await expireDue(batchSize)) === batchSize);
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    running ??= sweep()
      .catch((error: unknown) => logger.warn("reservation sweep failed; the next one retries", { error: String(error) }))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const timer = setInterval(() => void tick(), deps.intervalMs);
  timer.unref();
  void tick();
  return {
    /** Sweeps now (after any sweep in progress) and resolves when it is done. */
    async sweepNow(): Promise<void> {
      await running;
      await tick();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export type ReservationSweeper = ReturnType<typeof startReservationSweeper>;
