import { createRequire } from "node:module";

/** The part of kafkajs 2.2.4's per-connection request queue the fix below touches. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(this: RequestQueue): void;
}

const FIXED = Symbol.for("storefront.kafkajs.requestQueueIdleFix");

/**
 * kafkajs 2.2.4 reschedules its pending-request check after every response even when nothing
 * is pending and no throttle is in force, with a negative delay: Node runs that as a 1 ms timer
 * that reschedules itself, so every connection that ever got an answer wakes the process about
 * a thousand times a second for ever (kafkajs issues #1556 and #1704, fix proposed in PR #1667,
 * never released). On an idle platform with a consumer per subscription that loop was the
 * largest share of the process's CPU.
 *
 * The check only ever sends pending requests, so with none pending and no throttle to wait out
 * there is nothing for it to do: a request pushed later schedules its own check. Every other
 * case keeps kafkajs's behaviour. Applied once per process, to the module instance kafkajs
 * itself loads (the same file through the same resolution).
 */
export function fixKafkaRequestQueueIdleLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueueClass = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueue & { [FIXED]?: true } };
  const proto = RequestQueueClass.prototype;
  if (proto[FIXED]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  proto[FIXED] = true;
}
