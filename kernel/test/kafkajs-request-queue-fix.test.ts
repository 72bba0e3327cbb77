// kafkajs 2.2.4's request queue spun a 1 ms timer per connection for ever after its first
// answer, and ran a 100 ms timeout check per connection; the fixes stop the loop and share one
// check, keeping every case where they have work to do (a request waiting out the broker's
// throttle, a request the broker never answers). Against kafkajs's own queue class, and on a
// real broker.
import { it, describe } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { setTimeout as delay } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import { fixKafkaRequestQueueIdleLoop } from "../src/events/kafkajs-request-queue-fix.ts";
import { describeWithRealEngine } from "#kernel/testing";

fixKafkaRequestQueueIdleLoop();

interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
  push(request: { entry: { correlationId: number; resolve(): void; reject(error: Error): void }; expectResponse: boolean; sendRequest(): void }): void;
  scheduleRequestTimeoutCheck(): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}
type QueueClass = { new (options: Record<string, unknown>): Queue; prototype: Queue };
const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as QueueClass;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const newQueue = (options: { requestTimeout?: number; enforceRequestTimeout?: boolean } = {}) =>
  new RequestQueue({ maxInFlightRequests: null, requestTimeout: 1_000, enforceRequestTimeout: false, clientId: "fix-test", broker: "test:9092", logger: quiet, ...options });
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

/** Counts the queue class's pending-request checks while `during` runs. */
async function countChecks(during: () => Promise<void>): Promise<number> {
  const check = RequestQueue.prototype.checkPendingRequests;
  let calls = 0;
  RequestQueue.prototype.checkPendingRequests = function (this: Queue) {
    calls += 1;
    check.call(this);
  };
  try {
    await during();
  } finally {
    RequestQueue.prototype.checkPendingRequests = check;
  }
  return calls;
}

describe("kafkajs request queue idle loop fix", () => {
  it("leaves no timer behind once a connection's requests are answered", async () => {
    const queue = newQueue();
    try {
      const checks = await countChecks(async () => {
        queue.push({ entry: { correlationId: 1, resolve() {}, reject() {} }, expectResponse: true, sendRequest() {} });
        queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
        await delay(100);
      });
      assert.equal(queue.throttleCheckTimeoutId, null, "no check scheduled with nothing pending");
      // The answer's own check; the unfixed queue ran one about every millisecond after it.
      assert.ok(checks <= 1, `${checks} checks in 100 ms`);
    } finally {
      queue.destroy();
    }
  });

  it("still sends a request held by the broker's throttle once the throttle ends", async () => {
    const queue = newQueue();
    try {
      queue.maybeThrottle(50);
      let sentAt: number | undefined;
      const pushedAt = Date.now();
      queue.push({ entry: { correlationId: 7, resolve() {}, reject() {} }, expectResponse: true, sendRequest: () => void (sentAt = Date.now()) });
      assert.equal(sentAt, undefined, "held while throttled");
      for (const deadline = Date.now() + 5_000; sentAt === undefined && Date.now() < deadline; ) await delay(10);
      assert.ok(sentAt !== undefined, "sent after the throttle");
      assert.ok(sentAt - pushedAt >= 40, `sent ${sentAt - pushedAt} ms after the push`);
      assert.equal(queue.pending.length, 0);
    } finally {
      queue.destroy();
    }
  });

  it("checks every connection's request timeouts on one interval, and still times out an unanswered request", async () => {
    const before = timers();
    const queues = [newQueue({ requestTimeout: 150, enforceRequestTimeout: true }), newQueue({ requestTimeout: 150, enforceRequestTimeout: true }), newQueue({ requestTimeout: 150, enforceRequestTimeout: true })];
    try {
      for (const queue of queues) queue.scheduleRequestTimeoutCheck();
      assert.equal(timers() - before, 1, "one interval for three connections");
      let rejected: Error | undefined;
      const sentAt = Date.now();
      queues[1]!.push({ entry: { correlationId: 3, resolve() {}, reject: (error) => void (rejected = error) }, expectResponse: true, sendRequest() {} });
      for (const deadline = Date.now() + 5_000; !rejected && Date.now() < deadline; ) await delay(10);
      const after = Date.now() - sentAt;
      assert.match(String(rejected), /timed out/);
      assert.ok(after >= 150 && after < 150 + 100 + 500, `timed out after ${after} ms`);
    } finally {
      for (const queue of queues) queue.destroy();
    }
    assert.equal(timers(), before, "no interval left once every connection is gone");
  });

  it("is applied once however often it is called", () => {
    const before = RequestQueue.prototype.scheduleCheckPendingRequests;
    fixKafkaRequestQueueIdleLoop();
    assert.equal(RequestQueue.prototype.scheduleCheckPendingRequests, before);
  });
});

describeWithRealEngine({ suite: "kafkajs request queue on a real broker", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  it("an idle client that has talked to the broker checks its queue no more", { timeout: 30_000 }, async () => {
    const admin = new Kafka({ brokers: brokers.split(",").map((b) => b.trim()), clientId: "request-queue-fix-test", logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.listTopics();
      const checks = await countChecks(() => delay(300));
      assert.ok(checks <= 2, `${checks} checks in 300 idle ms`);
    } finally {
      await admin.disconnect();
    }
  });
});
