/**
 * What `withDeadline` rejects with: an engine call (a publish, a group join, a probe) that did
 * not settle in time. An outage, not a fault of the request or event that made the call (see
 * isTransientInfrastructureError).
 */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not complete within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Runs `work` and rejects once `ms` have passed without it settling. The work itself is not
 * cancelled; its late outcome is ignored. For calls whose library retries or waits longer
 * than the caller can afford (a publish while the broker is down).
 */
export async function withDeadline<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const running = work();
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  running.catch(() => {});
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
