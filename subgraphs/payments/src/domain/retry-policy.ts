/** How often and how patiently a provider call is retried. */
export interface RetryPolicy {
  /** Provider calls in all, the first one included. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `retry` (1 is the first retry): exponential, capped, with "equal
 * jitter". The fixed half keeps a retry from hitting a provider that has just failed; the
 * random half spreads out the many payments that failed in the same outage, so they do not
 * come back in one wave.
 */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
