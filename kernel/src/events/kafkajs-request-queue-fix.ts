import { createRequire } from "node:module";

/** The parts of kafkajs 2.2.4's per-connection request queue the fixes below touch. */
interface RequestQueue {
  pending: unknown[];
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  throttledUntil: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  isConnected(): boolean;
  scheduleCheckPendingRequests(this: RequestQueue): void;
  scheduleRequestTimeoutCheck(this: RequestQueue): void;
  destroy(this: RequestQueue): void;
}

const FIXED = Symbol.for("storefront.kafkajs.requestQueueIdleFix");
/**
 * The period of the request-timeout check: a request times out at most this long after its
 * deadline (or one of its own timeout, if shorter). kafkajs checks every 100 ms; our requests
 * time out after 5 s or more, and ten wake-ups a second were most of what an idle process did.
 */
const TIMEOUT_CHECK_MS = 1_000;

/**
 * Two idle costs of kafkajs 2.2.4's request queue (one per broker connection, and a consumer
 * holds about three), fixed in place for the module instance kafkajs itself loads, once per
 * process:
 *
 * - After every response it reschedules its pending-request check even when nothing is
 *   pending and no throttle is in force, with a negative delay: Node runs that as a 1 ms timer
 *   that reschedules itself, so every connection that ever got an answer woke the process about
 *   a thousand times a second for ever (kafkajs issues #1556 and #1704, fix proposed in PR
 *   #1667, never released). The check only ever sends pending requests, so with none pending
 *   and no throttle to wait out it is skipped: a request pushed later schedules its own check.
 *
 * - Each connection runs its own 100 ms interval to time out requests the broker never
 *   answers: with forty connections, four hundred wake-ups a second. One interval for the
 *   process now checks every connection's requests (see TIMEOUT_CHECK_MS).
 */
export function fixKafkaRequestQueueIdleLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueueClass = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueue & { [FIXED]?: true } };
  const proto = RequestQueueClass.prototype;
  if (proto[FIXED]) return;
  proto[FIXED] = true;

  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };

  const watched = new Set<RequestQueue>();
  let sweep: NodeJS.Timeout | undefined;
  let periodMs = TIMEOUT_CHECK_MS;
  const checkTimeouts = () => {
    const now = Date.now();
    for (const queue of watched) {
      for (const request of queue.inflight.values()) {
        if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      }
      if (!queue.isConnected()) queue.destroy();
    }
  };
  proto.scheduleRequestTimeoutCheck = function (this: RequestQueue) {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    watched.add(this);
    const wanted = Math.min(this.requestTimeout, TIMEOUT_CHECK_MS);
    if (sweep && wanted < periodMs) {
      clearInterval(sweep);
      sweep = undefined;
    }
    if (!sweep) {
      periodMs = Math.min(periodMs, wanted);
      // Not unref'd, like kafkajs's own: a connected client keeps the process alive.
      sweep = setInterval(checkTimeouts, periodMs);
    }
  };
  const destroy = proto.destroy;
  proto.destroy = function (this: RequestQueue) {
    destroy.call(this);
    if (watched.delete(this) && watched.size === 0 && sweep) {
      clearInterval(sweep);
      sweep = undefined;
      periodMs = TIMEOUT_CHECK_MS;
    }
  };
}
