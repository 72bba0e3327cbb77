import kafkajs from "kafkajs";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import type { DomainEvent, SubscribeOptions } from "./event-bus.js";
import type { Logger } from "../logging/logger.js";
import { withDeadline } from "./with-deadline.js";
import { handleByKey } from "./keyed-concurrency.js";
import { traceCarrierFrom } from "../observability/tracing-context.js";

export interface GroupMemberSettings {
  partitions: number;
  subscribeTimeoutMs: number;
  maxWaitTimeMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBackoffMs: number;
  /** Keys of one partition's batch handled at once (each key's events stay in order). */
  keyConcurrency: number;
  /** Put before every topic name and group id on the broker (deployments sharing one). */
  topicPrefix: string;
}

/** The Kafka group id of a port group on one topic (metrics ask the broker for its lag by it). */
export const kafkaGroupId = (prefix: string, group: string, topic: string): string => `${prefix}${group}.${topic}`;

/** Where a partition of a group with no committed position starts (its end when subscribed). */
export interface StartOffset {
  partition: number;
  offset: string;
}

/** One `subscribe`: a consumer in the group, replaced by a fresh one if kafkajs gives up on it. */
export class GroupMember {
  private consumer?: Consumer;
  private stopped = false;
  private readonly stopping = new AbortController();
  /** Batches being handled now. */
  private readonly delivering = new Set<Promise<void>>();
  /** Settles once the consumer has left the group, after `stop`. */
  left: Promise<void> = Promise.resolve();

  /**
   * @param startOffsets for `start: "latest"`, the partitions' ends when `subscribe` was called,
   *   sought once the first consumer has joined. Only the first: a consumer replaced later goes
   *   on from what the first one committed.
   */
  constructor(
    private readonly kafka: Kafka,
    private readonly options: SubscribeOptions,
    private readonly settings: GroupMemberSettings,
    private readonly logger: Logger | undefined,
    private startOffsets: readonly StartOffset[] = [],
  ) {
    // Every key in flight may be backing off on this signal at once.
    setMaxListeners(0, this.stopping.signal);
  }

  /**
   * Resolves once a consumer has joined the group and fetched from its starting offsets. A
   * consumer that crashes while joining (a coordinator still loading, a request timed out on a
   * loaded broker) is replaced at once, within the same deadline, rather than waited out.
   */
  async start(): Promise<void> {
    const deadline = Date.now() + this.settings.subscribeTimeoutMs;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
      try {
        await this.attempt(deadline);
        return;
      } catch (error) {
        if (this.stopped || !isWorthRetrying(error) || Date.now() + pause >= deadline) throw error;
        this.logger?.warn("event_consumer_join_retried", { topic: this.options.topic, group: this.options.group, error: error.message });
        await delay(pause, undefined, { signal: this.stopping.signal }).catch(() => {});
      }
    }
  }

  private async attempt(deadline: number): Promise<void> {
    const { topic, group, start = "earliest" } = this.options;
    const prefix = this.settings.topicPrefix;
    const consumer = this.kafka.consumer({
      // A port group is per topic. One Kafka group across several topics breaks: its leader
      // assigns only the topics it subscribed to, leaving other members' topics unconsumed.
      groupId: kafkaGroupId(prefix, group, topic),
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: this.settings.heartbeatIntervalMs,
      maxWaitTimeInMs: this.settings.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer itself only after retriable errors, and its own
      // restart can fail for good while the broker is still away (seen: consumers that never
      // came back after a Kafka crash, their orders left PENDING). So it never restarts one:
      // every crash is this member's to recover, with backoff, for as long as it takes.
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    let joining = true;
    let crashedWhileJoining!: (error: Error) => void;
    const crash = new Promise<never>((_, reject) => (crashedWhileJoining = reject));
    crash.catch(() => {});
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (joining) crashedWhileJoining(new ConsumerCrashedWhileJoining(payload.error));
      else void this.replace(consumer, payload.error);
    });
    // `start: "latest"` means "what is published after subscribe was called": the ends were read
    // before joining, and are sought when the join completes, before the first fetch is sent.
    const startOffsets = this.startOffsets;
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      offJoin();
      for (const { partition, offset } of startOffsets) consumer.seek({ topic: prefix + topic, partition, offset });
    });
    try {
      await Promise.race([
        crash,
        (async () => {
          await consumer.connect();
          await consumer.subscribe({ topics: [prefix + topic], fromBeginning: start === "earliest" });
          // Resolves once the consumer has joined the group and knows its partitions.
          await withDeadline(Math.max(0, deadline - Date.now()), `Kafka: joining consumer group ${group}`, () =>
            Promise.race([
              consumer.run({
                partitionsConsumedConcurrently: this.settings.partitions,
                // Offsets are resolved only once the whole batch is handled: a batch cut short (stop,
                // rebalance) is delivered again from its start, and handlers are idempotent.
                eachBatchAutoResolve: false,
                eachBatch: (payload) => this.deliverBatch(payload),
              }),
              crash,
            ]),
          );
        })(),
      ]);
      joining = false;
      this.startOffsets = [];
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
    if (this.stopped) await consumer.disconnect();
  }

  /**
   * Resolves once no handler runs and none will. Leaving the group waits for the fetch in flight,
   * which an idle topic's broker holds for up to `maxWaitTimeMs`, so it goes on in the background
   * (`left`): until then a fetched batch is refused, left uncommitted for the partition's next owner.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      // Ends a retry backoff now.
      this.stopping.abort();
      const consumer = this.consumer;
      this.left = consumer ? consumer.disconnect().catch(() => {}) : Promise.resolve();
    }
    await Promise.allSettled(this.delivering);
  }

  private async deliverBatch(payload: EachBatchPayload): Promise<void> {
    if (this.stopped) throw new MemberStopped();
    const delivery = this.deliverEvents(payload);
    this.delivering.add(delivery);
    try {
      await delivery;
    } finally {
      this.delivering.delete(delivery);
    }
  }

  private async deliverEvents({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const events: DomainEvent[] = [];
    for (const message of batch.messages) {
      const event = decode(message);
      // No retry can fix a record that is not an event; holding the partition for it would.
      if (event) events.push(event);
      else this.logger?.error("event_undecodable", { topic, partition, offset: message.offset });
    }
    await handleByKey(events, (event) => this.deliver(topic, event, heartbeat, isStale), this.settings.keyConcurrency);
    const last = batch.messages.at(-1);
    if (!last || isStale()) return;
    resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  private async deliver(topic: string, event: DomainEvent, heartbeat: () => Promise<void>, isStale: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // Throwing leaves the batch unresolved, so its events are not committed as handled.
      if (this.stopped || isStale()) throw new MemberStopped();
      try {
        await this.options.handle(event);
        await heartbeat();
        return;
      } catch (error) {
        if (error instanceof kafkajs.KafkaJSError) throw error;
        this.logger?.warn("event_handler_failed", {
          topic,
          group: this.options.group,
          eventId: event.id,
          eventType: event.type,
          attempt,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      await delay(Math.min(this.settings.maxBackoffMs, 10 * 2 ** attempt), undefined, { signal: this.stopping.signal }).catch(() => {});
      // Keeps the membership alive while retrying; throws when the group rebalances, and
      // kafkajs then rejoins and the partition's owner receives this event again.
      await heartbeat();
    }
  }

  private async replace(crashed: Consumer, error: Error): Promise<void> {
    if (this.stopped || crashed !== this.consumer) return;
    this.logger?.error("event_consumer_crashed", { topic: this.options.topic, group: this.options.group, error: error.message });
    await crashed.disconnect().catch(() => {});
    for (let pause = 500; !this.stopped; pause = Math.min(pause * 2, 10_000)) {
      await delay(pause, undefined, { signal: this.stopping.signal }).catch(() => {});
      if (this.stopped) return;
      try {
        await this.start();
        return;
      } catch (restartError) {
        this.logger?.warn("event_consumer_restart_failed", {
          topic: this.options.topic,
          group: this.options.group,
          error: restartError instanceof Error ? restartError.message : String(restartError),
        });
      }
    }
  }
}

/**
 * Thrown from a handler loop that was told to stop. A retriable KafkaJSError, so kafkajs
 * neither logs it as a handler failure nor crashes the consumer, which is shutting down.
 */
/** A crash while joining, or a broker error kafkajs marks retriable, may pass on a new consumer. */
function isWorthRetrying(error: unknown): error is Error {
  return error instanceof ConsumerCrashedWhileJoining || (error instanceof kafkajs.KafkaJSError && error.retriable);
}

class ConsumerCrashedWhileJoining extends Error {
  constructor(cause: Error) {
    super(`the consumer crashed while joining its group: ${cause.message}`, { cause });
  }
}

class MemberStopped extends kafkajs.KafkaJSError {
  constructor() {
    super("The subscription stopped before the event was handled", { retriable: true });
  }
}

function decode(message: KafkaMessage): DomainEvent | undefined {
  try {
    const event = JSON.parse(message.value?.toString("utf8") ?? "") as DomainEvent;
    if (typeof event?.id !== "string" || typeof event.type !== "string") return undefined;
    // The trace travels in headers only; a value claiming one is not believed.
    const { trace: _claimed, ...rest } = event;
    const trace = traceCarrierFrom({ traceparent: header(message, "traceparent"), tracestate: header(message, "tracestate") });
    return trace ? { ...rest, trace } : rest;
  } catch {
    return undefined;
  }
}

function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
