import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Kafka } from "kafkajs";
import type { DomainEvent } from "./event-bus.js";
import type { Logger } from "../logging/logger.js";
import { GroupMember, type EventPosition, type GroupMemberSettings, type MemberSpec, type StartOffset } from "./kafka-group-member.js";

interface Listener {
  handle(event: DomainEvent): Promise<void>;
  /** Per partition, the first offset it is told about: the end when it subscribed. */
  from: ReadonlyMap<number, bigint>;
}

export interface ProcessFanOutDeps {
  kafka: Kafka;
  settings: GroupMemberSettings;
  logger?: Logger;
  /** Names this process's consumer groups on the broker (with the topic prefix). */
  groupPrefix: string;
  /** The current end of each partition of a topic (its name on the broker). */
  ends(topic: string): Promise<StartOffset[]>;
  /** Stops a member: resolves once none of its handlers runs (it leaves its group in the background). */
  retire(member: GroupMember): Promise<void>;
}

/**
 * Every process-scoped subscription of one bus (`scope: "process"`), served by one consumer:
 * an idle consumer costs a fetch and a heartbeat every few seconds, and a platform process has
 * several such subscriptions (caches to invalidate, a live feed). The consumer's group is its
 * own and commits nothing: positions are kept here, sought at every join, so the group vanishes
 * from the broker once the consumer leaves.
 *
 * A subscription to a topic the consumer does not read yet starts a new consumer (a fresh group)
 * for all of them, once the old one handles nothing any more: each subscriber keeps its order,
 * and the new one goes on from where the old one was. A listener sees what is published after
 * it subscribed; one that fails is retried alone (the others are not told twice), but holds its
 * partition's next events back meanwhile, as a consumer of its own would.
 */
export class KafkaProcessFanOut {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Next offset to read, per topic the consumer reads and partition. */
  private readonly positions = new Map<string, Map<number, bigint>>();
  /** Listeners that already handled an event being retried for another. */
  private readonly handledBy = new WeakMap<DomainEvent, Set<Listener>>();
  private member?: GroupMember;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: ProcessFanOutDeps) {}

  /**
   * Resolves once `handle` is told every event published to `topic` (its name on the broker)
   * from now on; the returned function stops telling it.
   */
  add(topic: string, handle: (event: DomainEvent) => Promise<void>): Promise<() => Promise<void>> {
    return this.serially(async () => {
      if (this.closed) throw new Error("Event bus is closed");
      const ends = await this.deps.ends(topic);
      const from = new Map(ends.map((end) => [end.partition, BigInt(end.offset)]));
      const listener: Listener = { handle, from };
      const listeners = this.listeners.get(topic) ?? new Set();
      this.listeners.set(topic, listeners);
      listeners.add(listener);
      const read = this.positions.has(topic);
      if (!read) this.positions.set(topic, new Map(from));
      if (!read || !this.member) {
        try {
          await this.restart();
        } catch (error) {
          listeners.delete(listener);
          if (listeners.size === 0) {
            this.listeners.delete(topic);
            this.positions.delete(topic);
          }
          // The others keep a consumer: started again in the background while the broker is away.
          if (this.listeners.size > 0) this.recover();
          throw error;
        }
      }
      return () => this.remove(topic, listener);
    });
  }

  /** Stops the consumer; listeners are told nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.serially(async () => {
      this.listeners.clear();
      await this.stopMember();
    });
  }

  private remove(topic: string, listener: Listener): Promise<void> {
    return this.serially(async () => {
      const listeners = this.listeners.get(topic);
      if (!listeners?.delete(listener)) return;
      // The consumer reads on with no one told: a restart per stop would make a shutdown rejoin
      // once per subscription. The last one out stops it.
      if ([...this.listeners.values()].every((set) => set.size === 0)) {
        this.listeners.clear();
        this.positions.clear();
        await this.stopMember();
      }
    });
  }

  /** A new consumer for every topic read so far, once the previous one handles nothing. */
  private async restart(): Promise<void> {
    await this.stopMember();
    const member = new GroupMember(this.deps.kafka, this.spec(), this.deps.settings, this.deps.logger);
    try {
      await member.start();
    } catch (error) {
      await this.deps.retire(member);
      throw error;
    }
    this.member = member;
  }

  private recover(): void {
    void (async () => {
      for (let pause = 500; !this.closed && !this.member && this.listeners.size > 0; pause = Math.min(pause * 2, 10_000)) {
        // Unref'd: a closed bus's process may exit meanwhile.
        await delay(pause, undefined, { ref: false });
        try {
          await this.serially(async () => {
            if (!this.closed && !this.member && this.listeners.size > 0) await this.restart();
          });
        } catch (error) {
          this.deps.logger?.warn("event_fan_out_restart_failed", { topics: [...this.positions.keys()], error: String(error) });
        }
      }
    })();
  }

  private async stopMember(): Promise<void> {
    const member = this.member;
    this.member = undefined;
    if (member) await this.deps.retire(member);
  }

  private spec(): MemberSpec {
    const topics = [...this.positions.keys()];
    return {
      label: { topic: topics.join(","), group: "process fan-out" },
      groupId: `${this.deps.groupPrefix}${randomUUID()}`,
      topics,
      fromBeginning: false,
      seeks: () => [...this.positions].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }))),
      commits: false,
      handle: (event, at) => this.dispatch(event, at),
      handled: (topic, partition, offset) => {
        const partitions = this.positions.get(topic);
        const next = BigInt(offset) + 1n;
        if (partitions && next > (partitions.get(partition) ?? -1n)) partitions.set(partition, next);
      },
    };
  }

  private async dispatch(event: DomainEvent, at: EventPosition): Promise<void> {
    const offset = BigInt(at.offset);
    const done = this.handledBy.get(event) ?? new Set<Listener>();
    this.handledBy.set(event, done);
    const due = [...(this.listeners.get(at.topic) ?? [])].filter((listener) => !done.has(listener) && offset >= (listener.from.get(at.partition) ?? 0n));
    const outcomes = await Promise.allSettled(
      due.map(async (listener) => {
        await listener.handle(event);
        done.add(listener);
      }),
    );
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
