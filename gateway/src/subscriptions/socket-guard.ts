import type { WebSocketLimits } from "./websocket-limits.js";

/** Why a socket must go: it sends faster than any budget admits, or does not read what it is sent. */
export type SocketVerdict = "flooding" | "not-reading";

/**
 * What one WebSocket may cost the gateway beyond the caller's budgets. Every message is
 * parsed and answered, a refusal too, and an answer the client does not read stays queued in
 * this process: a client that sent subscribe messages as fast as it could without reading held
 * 2 GB of the gateway within 21 s. So each socket gets a message rate (a token bucket: a burst
 * of `maxMessagesPerSecond`, refilled at that rate; more than any caller's general budget admits
 * anyway) and a cap on bytes queued for it (beyond what the kernel holds).
 */
export function createSocketGuard(limits: Pick<WebSocketLimits, "maxMessagesPerSecond" | "maxBufferedBytes">, now: () => number = Date.now) {
  let tokens = limits.maxMessagesPerSecond;
  let refilledAt = now();
  return {
    /** A message arrived; `bufferedBytes` are queued for the client. */
    onMessage(bufferedBytes: number): SocketVerdict | undefined {
      const at = now();
      tokens = Math.min(limits.maxMessagesPerSecond, tokens + ((at - refilledAt) / 1000) * limits.maxMessagesPerSecond);
      refilledAt = at;
      if (tokens < 1) return "flooding";
      tokens -= 1;
      return this.onSend(bufferedBytes);
    },
    /** An answer is about to be queued; `bufferedBytes` are queued already. */
    onSend(bufferedBytes: number): SocketVerdict | undefined {
      return bufferedBytes > limits.maxBufferedBytes ? "not-reading" : undefined;
    },
  };
}

export type SocketGuard = ReturnType<typeof createSocketGuard>;
