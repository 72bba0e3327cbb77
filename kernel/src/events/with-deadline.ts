/**
 * Runs `work` and rejects once `ms` have passed without it settling. The work itself is not
 * cancelled; its late outcome is ignored. For calls whose library retries or waits longer
 * than the caller can afford (a publish while the broker is down).
 */
export async function withDeadline<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const running = work();
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
  });
  running.catch(() => {});
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
