import type { Logger } from "#kernel";

export interface ReservationSweeperDeps {
  expireDue: (limit: number) => Promise<number>;
  /** Whether a held reservation is past its time (one indexed statement). */
  anyDue: () => Promise<boolean>;
  /** Time between two looks: an expired reservation waits at most this long after its time. */
  intervalMs: number;
  batchSize: number;
  logger: Logger;
}

/**
 * Expires reservations past their time. Every `intervalMs` it looks when the earliest held one
 * expires (one indexed statement) and only when one is due expires them, in batches until none
 * is: an idle store costs a cheap look, not a transaction. It looks every interval rather than
 * sleeping until that expiry, so a hold made by a process with a shorter TTL or a clock ahead,
 * or moved by hand, is swept on time too. The truth is in PostgreSQL, so a restart loses
 * nothing: the next look finds what the last process left. Several processes may sweep at once
 * (the ledger skips rows another sweep holds), so every inventory process runs one.
 */
export function startReservationSweeper(deps: ReservationSweeperDeps) {
  const { expireDue, anyDue, batchSize, logger } = deps;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function sweep(): Promise<void> {
    if (!(await anyDue())) return;
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
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export type ReservationSweeper = ReturnType<typeof startReservationSweeper>;
