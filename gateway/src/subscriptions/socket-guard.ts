import type { WebSocketLimits } from "./websocket-limits.js";

/**
 * Why a socket must go: it sends more messages, or more bytes, than any budget admits, or
 * does not read what it is sent.
 */
export type SocketVerdict = "flooding" | "oversending" | "not-reading";

/**
 * What one WebSocket may cost the gateway beyond the caller's budgets. Every message is
 * parsed and answered, a refusal too, and an answer the client does not read stays queued in
 * this process: a client that sent subscribe messages as fast as it could without reading held
 * 2 GB of the gateway within 21 s. So each socket gets a message rate (a token bucket: a burst
 * of `maxMessagesPerSecond`, refilled at that rate; more than any caller's general budget admits
 * anyway) and a cap on bytes queued for it (beyond what the kernel holds).
 *
 * Messages are not all alike: a graphql-ws ping, pong or complete spends no budget, yet may be
 * as large as a subscribe (its payload or id is any JSON), and its bytes are received, checked,
 * parsed (with graphql-ws's reviver) and, for a ping, echoed back. 16 sockets of one address
 * sending 45 pings of 99 KB a second, within the message rate, held 44% of a gateway core (16
 * sockets of empty pings: 7.5%). So bytes have a bucket too: `maxBytesPerSecond` (the gateway
 * gives it the largest message it takes), a burst of twice as many: with a burst of one largest
 * message, a client sending one a second was closed whenever two arrived a few milliseconds
 * less than a second apart.
 */
export function createSocketGuard(
  limits: Pick<WebSocketLimits, "maxMessagesPerSecond" | "maxBufferedBytes"> & { maxBytesPerSecond: number },
  now: () => number = Date.now,
) {
  let tokens = limits.maxMessagesPerSecond;
  const byteBurst = 2 * limits.maxBytesPerSecond;
  let bytes = byteBurst;
  let refilledAt = now();
  return {
    /** A message of `messageBytes` arrived; `bufferedBytes` are queued for the client. */
    onMessage(bufferedBytes: number, messageBytes = 0): SocketVerdict | undefined {
      const at = now();
      const seconds = (at - refilledAt) / 1000;
      tokens = Math.min(limits.maxMessagesPerSecond, tokens + seconds * limits.maxMessagesPerSecond);
      bytes = Math.min(byteBurst, bytes + seconds * limits.maxBytesPerSecond);
      refilledAt = at;
      if (tokens < 1) return "flooding";
      if (bytes < messageBytes) return "oversending";
      tokens -= 1;
      bytes -= messageBytes;
      return this.onSend(bufferedBytes);
    },
    /** An answer is about to be queued; `bufferedBytes` are queued already. */
    onSend(bufferedBytes: number): SocketVerdict | undefined {
      return bufferedBytes > limits.maxBufferedBytes ? "not-reading" : undefined;
    },
  };
}

export type SocketGuard = ReturnType<typeof createSocketGuard>;
