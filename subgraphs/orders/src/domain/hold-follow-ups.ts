/**
 * Second looks at stock holds a refused checkout left to a same-key twin. A refused try of a
 * key gives the key's hold back only when no other try of the key may still be placing an
 * order on it (checkout.service.ts): when two tabs send one key and both are refused (the
 * cart edited under both, a coupon spent, a failed statement), each leaves the hold to the
 * other, and nobody asks again: its units stayed off sale until the hold expired
 * (RESERVATION_TTL_MS, 15 minutes), in a sale unsold. Each such refusal schedules a look
 * once no try can be live any more (LIVE_ATTEMPT_MAX_MS after the last reserve): with no
 * order under the key, the hold is given back unless a reserve touched it since.
 *
 * In memory, one per order id (later refusals of the id move nothing): a process that stops
 * first leaves the hold to its expiry, as before.
 */
export interface HoldFollowUps {
  /** Runs `look` once, `afterMs` from now, unless a look of this order id is already due. */
  schedule(orderId: string, afterMs: number, look: () => Promise<void>): void;
  /** Drops every look not run yet (the process is stopping). */
  stop(): void;
}

export function createHoldFollowUps(options: { onError?: (orderId: string, error: unknown) => void } = {}): HoldFollowUps {
  const due = new Map<string, ReturnType<typeof setTimeout>>();
  return {
    schedule(orderId, afterMs, look) {
      if (due.has(orderId)) return;
      const timer = setTimeout(() => {
        due.delete(orderId);
        look().catch((error: unknown) => options.onError?.(orderId, error));
      }, afterMs);
      timer.unref();
      due.set(orderId, timer);
    },
    stop() {
      for (const timer of due.values()) clearTimeout(timer);
      due.clear();
    },
  };
}
