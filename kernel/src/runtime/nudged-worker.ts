/**
 * Runs `drain` on a poll and whenever `nudge()` is called, never twice at once: a nudge
 * during a run schedules exactly one more run afterwards, so work committed meanwhile is
 * never left waiting for the next poll. `onError` sees each failed run with the count of
 * consecutive failures (reset by a successful run); the next poll or nudge retries.
 */
export function startNudgedWorker(options: {
  drain: (isStopped: () => boolean) => Promise<void>;
  pollMs: number;
  onError: (error: unknown, consecutiveFailures: number) => void;
}) {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  const isStopped = () => stopped;

  function nudge(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = options
      .drain(isStopped)
      .then(() => {
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        options.onError(error, failures);
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          nudge();
        }
      });
  }

  const timer = setInterval(nudge, options.pollMs);
  timer.unref();
  nudge();
  return {
    nudge,
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
