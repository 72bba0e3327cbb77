/**
 * Runs `drain` on a poll and whenever `nudge()` is called, never twice at once: a nudge
 * during a run schedules exactly one more run afterwards, so work committed meanwhile is
 * never left waiting for the next poll. `onError` sees each failed run with the count of
 * consecutive failures (reset by a successful run); the next poll or nudge retries.
 *
 * With `idlePollMs`, a drain that says it found nothing (returns false) doubles the wait
 * before the next poll, up to `idlePollMs`; work found, a failure or a nudge brings it back to
 * `pollMs`. An idle platform then asks its stores a few times a minute instead of several
 * times a second, while work announced by a nudge still starts at once.
 */
export function startNudgedWorker(options: {
  drain: (isStopped: () => boolean) => Promise<void | boolean>;
  pollMs: number;
  idlePollMs?: number;
  onError: (error: unknown, consecutiveFailures: number) => void;
}) {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  const isStopped = () => stopped;

  const idlePollMs = Math.max(options.pollMs, options.idlePollMs ?? options.pollMs);
  let waitMs = options.pollMs;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(poll, waitMs);
    timer.unref();
  };

  function run(): void {
    running = options
      .drain(isStopped)
      .then((found) => {
        failures = 0;
        waitMs = found === false ? Math.min(idlePollMs, waitMs * 2) : options.pollMs;
      })
      .catch((error: unknown) => {
        failures += 1;
        waitMs = options.pollMs;
        options.onError(error, failures);
      })
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          run();
        } else schedule();
      });
  }

  function poll(): void {
    if (stopped) return;
    if (running) again = true;
    else run();
  }

  function nudge(): void {
    if (stopped) return;
    waitMs = options.pollMs;
    poll();
  }

  nudge();
  return {
    nudge,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      // A run ends by scheduling the next: awaited until none is left, so nothing this worker
      // does outlives its stop (its owner closes the pool or the bus right after).
      while (running) await running;
    },
  };
}
