// kafkajs commits after every batch it hands out, and a fetch under load brings a batch of most
// of a topic's partitions: a checkout's events cost about two OffsetCommit requests on the
// broker, over half of the consumers' requests. A fetch's handled batches are now committed
// together, once its last batch ends, and delivery stays at-least-once.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Partitioners, type ISocketFactory, type PartitionMetadata } from "kafkajs";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import type { DomainEvent } from "#kernel";
import { newEvent } from "#kernel/events/new-event.ts";

const PARTITIONS = 3;
const OFFSET_COMMIT = 8;

/** Connections that count the OffsetCommit requests written on them. */
function countingOffsetCommits(): { socketFactory: ISocketFactory; commits(): number } {
  let commits = 0;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
    // kafkajs writes each request whole, size first, then its apiKey.
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === OFFSET_COMMIT) commits++;
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  };
  return { socketFactory, commits: () => commits };
}

/** A key the bus's producer writes to `partition`. */
function keyOf(partition: number): string {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata);
  const partitionOf = (key: string) => Partitioners.DefaultPartitioner()({ topic: "any", partitionMetadata, message: { key, value: null } });
  const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find((candidate) => partitionOf(candidate) === partition);
  if (!key) throw new Error(`no key for partition ${partition}`);
  return key;
}

const otherPartitionsKeys = () => Array.from({ length: PARTITIONS - 1 }, (_, i) => keyOf(i + 1));

const until = (what: string, done: () => boolean) => waitFor(what, done, { timeoutMs: 20_000, intervalMs: 10 });

describeWithRealEngine({ suite: "Kafka: offset commits", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const list = brokers.split(",").map((b) => b.trim());
  const busWith = (clientId: string, socketFactory?: ISocketFactory) =>
    new KafkaEventBus({ brokers: list, clientId, partitions: PARTITIONS, maxBackoffMs: 50, maxWaitTimeMs: 500, slowBatchMs: 60_000, ...(socketFactory && { socketFactory }) });

  it("commits a fetch of every partition's batch in one request, and the group's next member starts after everything handled", { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `offset-commits.${run}`;
    const group = `offset-commits-${run}`;
    const gateKey = keyOf(0);
    const otherKeys = otherPartitionsKeys();
    const ROUNDS = 8;
    // A round is an event on every partition; the first partition's holds its fetch open until
    // the next round is on the broker, so each later fetch brings a batch of every partition.
    const roundEvents = (round: number) => [newEvent("gate.tested", gateKey, { round }), ...otherKeys.map((key) => newEvent("round.tested", key, { round }))];
    const openGates: (() => void)[] = [];
    const gates = Array.from({ length: ROUNDS }, () => new Promise<void>((resolve) => openGates.push(resolve)));
    const handled: string[] = [];
    let gatesReached = 0;
    const wire = countingOffsetCommits();
    const bus = busWith(`offset-commits-${run}`, wire.socketFactory);
    try {
      await bus.subscribe({
        topic,
        group,
        start: "earliest",
        handle: async (event: DomainEvent) => {
          if (event.type === "gate.tested") {
            gatesReached++;
            await gates[(event.payload as { round: number }).round];
          }
          handled.push(event.id);
        },
      });
      const before = wire.commits();
      await bus.publish(topic, roundEvents(0));
      for (let round = 0; round < ROUNDS; round++) {
        await until(`round ${round}'s gate is reached`, () => gatesReached > round);
        if (round + 1 < ROUNDS) await bus.publish(topic, roundEvents(round + 1));
        openGates[round]?.();
      }
      await until("every event is handled", () => handled.length >= ROUNDS * PARTITIONS);
      await delay(300);
      const commits = wire.commits() - before;
      assert.equal(handled.length, ROUNDS * PARTITIONS, "each event handled once");
      // One commit a fetch; the first round may arrive over two fetches. Committing after each
      // batch sent three a round.
      assert.ok(commits <= ROUNDS + 2, `${commits} OffsetCommit requests for ${ROUNDS} fetches of ${PARTITIONS} partitions`);
    } finally {
      for (const open of openGates) open();
      await bus.close();
    }

    const next = busWith(`offset-commits-next-${run}`);
    const redelivered: string[] = [];
    try {
      await next.subscribe({ topic, group, start: "earliest", handle: async (event) => void redelivered.push(event.id) });
      const marker = newEvent("marker.tested", gateKey, {});
      await next.publish(topic, [marker]);
      await until("the marker is handled", () => redelivered.length >= 1);
      await delay(500);
      assert.deepEqual(redelivered, [marker.id], "only the new event: everything handled before was committed");
    } finally {
      await next.close();
    }
  });

  it("commits a fetch whose batches all end at once in one request", { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `offset-commits-together.${run}`;
    const keys = [keyOf(0), ...otherPartitionsKeys()];
    const events = keys.flatMap((key) => Array.from({ length: 5 }, (_, i) => newEvent("together.tested", key, { i })));
    const handled: string[] = [];
    const wire = countingOffsetCommits();
    const bus = busWith(`offset-commits-together-${run}`, wire.socketFactory);
    try {
      // On the broker before the member joins: its first fetch brings every partition's batch,
      // and handlers that answer at once end them all in the same turn.
      await bus.publish(topic, events);
      await bus.subscribe({ topic, group: `offset-commits-together-${run}`, start: "earliest", handle: async (event) => void handled.push(event.id) });
      await until("every event is handled", () => handled.length >= events.length);
      await delay(500);
      assert.equal(handled.length, events.length, "each event handled once");
      assert.equal(wire.commits(), 1, "one OffsetCommit request for the fetch");
    } finally {
      await bus.close();
    }
  });

  it("commits a fetch's handled batches when its last batch is cut short by a stop, and delivers the cut one again", { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `offset-commits-cut.${run}`;
    const group = `offset-commits-cut-${run}`;
    const failingKey = keyOf(0);
    const otherKeys = otherPartitionsKeys();
    const failing = newEvent("failing.tested", failingKey, {});
    const others = otherKeys.map((key) => newEvent("other.tested", key, {}));
    const handled: string[] = [];
    let failures = 0;
    const bus = busWith(`offset-commits-cut-${run}`);
    try {
      // On the broker before the member joins: its first fetch brings all three batches.
      await bus.publish(topic, [failing, ...others]);
      await bus.subscribe({
        topic,
        group,
        start: "earliest",
        handle: async (event: DomainEvent) => {
          if (event.id === failing.id) {
            failures++;
            throw new Error("the handler's store is away");
          }
          handled.push(event.id);
        },
      });
      await until("the other partitions' events are handled and the failing one retried", () => others.every((e) => handled.includes(e.id)) && failures >= 3);
    } finally {
      await bus.close();
    }

    const next = busWith(`offset-commits-cut-next-${run}`);
    const redelivered: string[] = [];
    try {
      await next.subscribe({ topic, group, start: "earliest", handle: async (event) => void redelivered.push(event.id) });
      await until("the cut event is delivered again", () => redelivered.includes(failing.id));
      const marker = newEvent("marker.tested", failingKey, {});
      await next.publish(topic, [marker]);
      await until("the marker is handled", () => redelivered.includes(marker.id));
      await delay(500);
      assert.deepEqual(redelivered.filter((id) => others.some((e) => e.id === id)), [], "the handled batches were committed before the member left");
    } finally {
      await next.close();
    }
  });
});
