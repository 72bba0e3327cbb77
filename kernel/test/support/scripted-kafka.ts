// A scripted stand-in for kafkajs's consumer: each consumer made follows a script (join, or crash
// while joining) and records what it was asked. The real broker's behaviour is covered by the
// event-bus contract suite; this is for the paths a broker rarely takes on cue.
import { EventEmitter } from "node:events";
import type { Kafka } from "kafkajs";
import type { GroupMemberSettings } from "../../src/events/kafka-group-member.ts";

const EVENTS = { CRASH: "consumer.crash", GROUP_JOIN: "consumer.group_join", FETCH: "consumer.fetch" } as const;

export type Script = "crash-while-joining" | "join";

export interface ScriptedConsumer {
  script: Script;
  disconnected: boolean;
  groupId: string;
  /** The topics it subscribed to. */
  topics: string[];
  /** Seeks in the order made, and whether the join had completed (`run` resolved) by then. */
  seeks: { partition: number; offset: string; afterRunResolved: boolean }[];
  /** The same seeks with their topics. */
  sought: { topic: string; partition: number; offset: string }[];
  /** Reports a crash, as kafkajs does when a running consumer gives up. */
  crash(): void;
}

/** kafkajs's `run` resolves once the consumer joined, or after it reported a crash while joining. */
export function scriptedKafka(scripts: Script[], options: { disconnectMs?: number } = {}) {
  const consumers: ScriptedConsumer[] = [];
  const kafka = {
    consumer: ({ groupId }: { groupId: string }) => {
      const script = scripts[consumers.length] ?? "join";
      const emitter = new EventEmitter();
      const record: ScriptedConsumer = { script, groupId, topics: [], disconnected: false, seeks: [], sought: [], crash: () => void emitter.emit(EVENTS.CRASH, { payload: { error: new Error("The broker went away") } }) };
      consumers.push(record);
      let runResolved = false;
      return {
        events: EVENTS,
        on: (event: string, listener: (payload: unknown) => void) => {
          emitter.on(event, listener);
          return () => emitter.off(event, listener);
        },
        connect: async () => {},
        subscribe: async ({ topics }: { topics: string[] }) => void record.topics.push(...topics),
        run: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (record.disconnected) return;
          if (script === "crash-while-joining") emitter.emit(EVENTS.CRASH, { payload: { error: new Error("The coordinator is loading") } });
          else emitter.emit(EVENTS.GROUP_JOIN, {});
          runResolved = true;
        },
        seek: ({ topic, partition, offset }: { topic: string; partition: number; offset: string }) => {
          record.seeks.push({ partition, offset, afterRunResolved: runResolved });
          record.sought.push({ topic, partition, offset });
        },
        disconnect: async () => {
          record.disconnected = true;
          await new Promise((resolve) => setTimeout(resolve, options.disconnectMs ?? 0));
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, consumers };
}

export const settings = (subscribeTimeoutMs: number): GroupMemberSettings => ({
  partitions: 1,
  subscribeTimeoutMs,
  maxWaitTimeMs: 100,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxBackoffMs: 50,
  keyConcurrency: 1,
  slowBatchMs: 1_000,
  topicPrefix: "",
});

