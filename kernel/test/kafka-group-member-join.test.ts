// A consumer that crashes while joining its group is replaced within the subscribe deadline,
// not waited out: under a loaded broker the first join can time out and the second succeed.
// The broker here is a scripted stand-in for kafkajs's consumer; the real broker's joins are
// covered by the event-bus contract suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Kafka } from "kafkajs";
import { GroupMember, type GroupMemberSettings } from "../src/events/kafka-group-member.ts";

const EVENTS = { CRASH: "consumer.crash", GROUP_JOIN: "consumer.group_join", FETCH: "consumer.fetch" } as const;

type Script = "crash-while-joining" | "join";

function scriptedKafka(scripts: Script[]) {
  const consumers: { script: Script; disconnected: boolean }[] = [];
  const kafka = {
    consumer: () => {
      const script = scripts[consumers.length] ?? "join";
      const record = { script, disconnected: false };
      consumers.push(record);
      const emitter = new EventEmitter();
      return {
        events: EVENTS,
        on: (event: string, listener: (payload: unknown) => void) => {
          emitter.on(event, listener);
          return () => emitter.off(event, listener);
        },
        connect: async () => {},
        subscribe: async () => {},
        run: async () => {
          setTimeout(() => {
            if (record.disconnected) return;
            if (script === "crash-while-joining") emitter.emit(EVENTS.CRASH, { payload: { error: new Error("The coordinator is loading") } });
            else {
              emitter.emit(EVENTS.GROUP_JOIN, {});
              emitter.emit(EVENTS.FETCH, {});
            }
          }, 5);
        },
        disconnect: async () => {
          record.disconnected = true;
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, consumers };
}

const settings = (subscribeTimeoutMs: number): GroupMemberSettings => ({
  partitions: 1,
  subscribeTimeoutMs,
  maxWaitTimeMs: 100,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxBackoffMs: 50,
  keyConcurrency: 1,
  topicPrefix: "",
});

test("a consumer crashing while it joins is disconnected and replaced, and start resolves once the replacement fetches", async () => {
  const { kafka, consumers } = scriptedKafka(["crash-while-joining", "crash-while-joining", "join"]);
  const member = new GroupMember(kafka, { topic: "t", group: "g", handle: async () => {} }, settings(10_000), undefined);
  const started = Date.now();
  await member.start();
  assert.equal(consumers.length, 3);
  assert.deepEqual(consumers.map((c) => c.disconnected), [true, true, false], "the crashed consumers are let go, the joined one kept");
  assert.ok(Date.now() - started < 5_000, "replaced at once, not after the deadline");
  await member.stop();
  assert.equal(consumers[2]!.disconnected, true);
});

test("a consumer that keeps crashing while joining fails start with the crash's reason once the deadline is spent", async () => {
  const { kafka, consumers } = scriptedKafka(Array.from({ length: 100 }, () => "crash-while-joining" as const));
  const member = new GroupMember(kafka, { topic: "t", group: "g", handle: async () => {} }, settings(600), undefined);
  await assert.rejects(member.start(), /crashed while joining its group: The coordinator is loading/);
  assert.ok(consumers.length >= 2, "retried before giving up");
  assert.ok(consumers.every((c) => c.disconnected), "no consumer is left running");
  await member.stop();
});
