// A partition's ends read while its leadership is still settling (a topic just created, a leader
// moving) are answered "This server is not the leader for that topic-partition", and kafkajs's
// admin gives up on that at once: a subscription at "latest" made right after its topic was
// created failed so about once in six. The broker's answers to the bus's own offset reads are
// rewritten here to say so, a deterministic stand-in for the broker's timing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { describe, it } from "node:test";
import type { ISocketFactory } from "kafkajs";
import { newEvent, type DomainEvent } from "#kernel";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";

const LIST_OFFSETS = 2;
const NOT_LEADER_OR_FOLLOWER = 6;

/**
 * Connections whose first `count` ListOffsets answers (v1 to v3) say every partition's broker is
 * not its leader; `rewritten` counts those answered so.
 */
function notLeaderForOffsets(count: number): { socketFactory: ISocketFactory; rewritten(): number; destroy(): void } {
  let rewritten = 0;
  const sockets: net.Socket[] = [];
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    sockets.push(socket);
    /** Correlation id -> ListOffsets version, of the requests this connection sent. */
    const listOffsets = new Map<number, number>();
    const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
    // kafkajs writes each request whole, size first: apiKey, apiVersion, correlationId follow.
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length >= 12 && chunk.readInt16BE(4) === LIST_OFFSETS) listOffsets.set(chunk.readInt32BE(8), chunk.readInt16BE(6));
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const on = socket.on.bind(socket) as (event: string, listener: (...args: unknown[]) => void) => net.Socket;
    socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
      if (event !== "data") return on(event, listener);
      let pending = Buffer.alloc(0);
      return on("data", (chunk: unknown) => {
        pending = Buffer.concat([pending, chunk as Buffer]);
        // Whole answers only, each rewritten before kafkajs reads it.
        const frames: Buffer[] = [];
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = 4 + pending.readInt32BE(0);
          frames.push(Buffer.from(pending.subarray(0, size)));
          pending = pending.subarray(size);
        }
        for (const frame of frames) {
          const version = listOffsets.get(frame.readInt32BE(4));
          if (version !== undefined && version >= 1 && version <= 3 && rewritten < count) {
            rewritten++;
            markPartitionsNotLeader(frame, version);
          }
          listener(frame);
        }
      });
    }) as typeof socket.on;
    return socket;
  };
  return { socketFactory, rewritten: () => rewritten, destroy: () => sockets.forEach((socket) => socket.destroy()) };
}

/** ListOffsets v1-v3 answer: [throttle (v2+)] [topic name [partition error timestamp offset]]. */
function markPartitionsNotLeader(frame: Buffer, version: number): void {
  let at = 8 + (version >= 2 ? 4 : 0);
  const topics = frame.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + frame.readInt16BE(at);
    const partitions = frame.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      frame.writeInt16BE(NOT_LEADER_OR_FOLLOWER, at + 4);
      at += 4 + 2 + 8 + 8;
    }
  }
}

describeWithRealEngine({ suite: "Kafka subscriptions at latest while a partition's leadership settles", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  describe("Kafka subscriptions at latest while a partition's leadership settles", { timeout: 120_000 }, () => {
    for (const scope of ["group", "process"] as const) {
      it(`a ${scope} subscription at latest asks its ends again when told "not the leader", and is told only what came after it`, async () => {
        const answers = notLeaderForOffsets(2);
        const prefix = `settling-${randomUUID().slice(0, 8)}.`;
        const bus = new KafkaEventBus({ brokers: brokers.split(","), clientId: `settling-${randomUUID().slice(0, 8)}`, topicPrefix: prefix, socketFactory: answers.socketFactory });
        const seen: string[] = [];
        try {
          await bus.publish("probe.events", [newEvent("Probe", "before", { n: 0 })]);
          const subscription = await bus.subscribe({
            topic: "probe.events",
            group: "probe",
            start: "latest",
            ...(scope === "process" && { scope: "process" as const }),
            handle: async (event: DomainEvent) => {
              seen.push(event.key);
            },
          });
          assert.equal(answers.rewritten(), 2, "both offset reads were answered 'not the leader'");
          await bus.publish("probe.events", [newEvent("Probe", "after", { n: 1 })]);
          await waitFor("the event published after the subscription is handled", () => seen.includes("after"), { timeoutMs: 60_000, intervalMs: 50 });
          assert.deepEqual(seen, ["after"]);
          await subscription.stop();
        } finally {
          await bus.close();
          answers.destroy();
        }
      });
    }
  });
});
