import kafkajs from "kafkajs";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { setMaxListeners } from "node:events";
import { setImmediate, setTimeout as delay } from "node:timers/promises";
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
  /**
   * A batch still being handled after this long lets the member fetch again: its partition is
   * paused until the batch is done, so one slow key holds back its own partition only.
   */
  slowBatchMs: number;
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

/** An offset to read a partition of a topic (its name on the broker) from. */
export interface SeekOffset extends StartOffset {
  topic: string;
}

/** Where an event was read: the topic's name on the broker, its partition and offset. */
export interface EventPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** What one consumer of a group reads and where its events go. */
export interface MemberSpec {
  /** The port's topic and group, for logs. */
  label: { topic: string; group: string };
  groupId: string;
  /** Names on the broker. */
  topics: readonly string[];
  /** Where partitions with no committed position start, unless `seeks` says. */
  fromBeginning: boolean;
  /** Offsets sought when a consumer joins, before its first fetch (asked at every join). */
  seeks(): readonly SeekOffset[];
  /** A consumer has joined: `start` resolves. */
  joined?(): void;
  /** Whether handled offsets are committed to the group; otherwise only `handled` knows them. */
  commits: boolean;
  handle(event: DomainEvent, at: EventPosition): Promise<void>;
  /** Every event of a partition up to `offset` (included) was handled. */
  handled?(topic: string, partition: number, offset: string): void;
}

/**
 * A port subscription in a shared group: one Kafka group per port group and topic, offsets
 * committed. For `start: "latest"`, `startOffsets` are the partitions' ends when `subscribe` was
 * called, sought until a consumer has joined once: one replaced later goes on from what the
 * first one committed.
 */
export function sharedGroupSpec(options: SubscribeOptions, topicPrefix: string, startOffsets: readonly StartOffset[] = []): MemberSpec {
  const topic = topicPrefix + options.topic;
  let seeks: readonly SeekOffset[] = startOffsets.map((start) => ({ topic, ...start }));
  return {
    label: { topic: options.topic, group: options.group },
    // A port group is per topic. One Kafka group across several topics breaks: its leader
    // assigns only the topics it subscribed to, leaving other members' topics unconsumed.
    groupId: kafkaGroupId(topicPrefix, options.group, options.topic),
    topics: [topic],
    fromBeginning: (options.start ?? "earliest") === "earliest",
    seeks: () => seeks,
    joined: () => (seeks = []),
    commits: true,
    handle: (event) => options.handle(event),
  };
}

/** A consumer in a group, replaced by a fresh one if kafkajs gives up on it. */
export class GroupMember {
  private consumer?: Consumer;
  private stopped = false;
  private readonly stopping = new AbortController();
  /** Batches being handled now, including slow ones handled past their fetch. */
  private readonly delivering = new Set<Promise<void>>();
  /** Group joins of the current consumer: a slow batch from before a join is not committed after it. */
  private joins = 0;
  /**
   * The batches of the fetch kafkajs is handing out now (not those finishing in the background),
   * and the offsets of those already handled, resolved only when the last of them ends.
   */
  private fetched = { inHand: 0, handled: [] as HandledBatch[] };
  /** Settles once the consumer has left the group, after `stop`. */
  left: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly spec: MemberSpec,
    private readonly settings: GroupMemberSettings,
    private readonly logger: Logger | undefined,
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
        this.logger?.warn("event_consumer_join_retried", { ...this.spec.label, error: error.message });
        await delay(pause, undefined, { signal: this.stopping.signal }).catch(() => {});
      }
    }
  }

  private async attempt(deadline: number): Promise<void> {
    const spec = this.spec;
    const consumer = this.kafka.consumer({
      groupId: spec.groupId,
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
    this.fetched = { inHand: 0, handled: [] };
    let joining = true;
    let crashedWhileJoining!: (error: Error) => void;
    const crash = new Promise<never>((_, reject) => (crashedWhileJoining = reject));
    crash.catch(() => {});
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (joining) crashedWhileJoining(new ConsumerCrashedWhileJoining(payload.error));
      else void this.replace(consumer, payload.error);
    });
    // Sought when a join completes, before the first fetch is sent: `start: "latest"` means "what
    // is published after subscribe was called", and its ends were read before joining.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joins += 1;
      for (const seek of spec.seeks()) consumer.seek(seek);
    });
    try {
      await Promise.race([
        crash,
        (async () => {
          await consumer.connect();
          await consumer.subscribe({ topics: [...spec.topics], fromBeginning: spec.fromBeginning });
          // Resolves once the consumer has joined the group and knows its partitions.
          await withDeadline(Math.max(0, deadline - Date.now()), `Kafka: joining consumer group ${spec.label.group}`, () =>
            Promise.race([
              consumer.run({
                partitionsConsumedConcurrently: this.settings.partitions * spec.topics.length,
                autoCommit: spec.commits,
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
      spec.joined?.();
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

  /**
   * kafkajs commits every offset resolved so far after each batch it hands out, and a fetch under
   * load brings a batch of most partitions: one OffsetCommit request per partition per fetch.
   * A handled batch's offset is therefore resolved only when the last batch of its fetch ends
   * (before kafkajs fetches again), so kafkajs's commit after that batch carries the whole fetch
   * and its commits after the others find nothing to send. Delivery stays at-least-once: an
   * offset is resolved only after its batch was handled, and a batch cut short is resolved
   * never; a rebalance between a batch's end and its fetch's end only delivers it again.
   */
  private async deliverBatch(payload: EachBatchPayload): Promise<void> {
    if (this.stopped) throw new MemberStopped();
    const fetched = this.fetched;
    fetched.inHand += 1;
    const delivery = this.deliverEvents(payload, fetched);
    this.delivering.add(delivery);
    try {
      await delivery;
    } finally {
      this.delivering.delete(delivery);
      fetched.inHand -= 1;
      // Also when this batch failed: kafkajs then commits what was resolved before rethrowing.
      if (fetched.inHand === 0) await this.resolveHandled(fetched);
    }
  }

  private async resolveHandled(fetched: typeof this.fetched): Promise<void> {
    // kafkajs reads what to commit a few promise callbacks after each batch returns, and marks it
    // committed only once the broker answers: batches that ended just before this one would each
    // send the whole fetch again if it were resolved before their reads. They are done by the
    // next turn of the event loop.
    await setImmediate();
    if (fetched.inHand > 0) return;
    const resolved = fetched.handled.splice(0).filter((batch) => this.resolveBatch(batch));
    await resolved.at(-1)?.heartbeat();
  }

  private async deliverEvents(payload: EachBatchPayload, fetched: typeof this.fetched): Promise<void> {
    const { batch, heartbeat, isStale } = payload;
    const { topic, partition } = batch;
    const events: { key: string; event: DomainEvent; offset: string }[] = [];
    for (const message of batch.messages) {
      const event = decode(message);
      // No retry can fix a record that is not an event; holding the partition for it would.
      if (event) events.push({ key: event.key, event, offset: message.offset });
      else this.logger?.error("event_undecodable", { topic, partition, offset: message.offset });
    }
    const consumer = this.consumer;
    const joins = this.joins;
    const handling = handleByKey(events, ({ event, offset }) => this.deliver({ topic, partition, offset }, event, heartbeat, isStale), this.settings.keyConcurrency);
    if (await settlesWithin(handling, this.settings.slowBatchMs)) {
      fetched.handled.push({ ...payload, joins });
      return;
    }
    // kafkajs fetches again only once every batch of the last fetch is done: a slow key (a
    // payment provider taking seconds) would hold back every partition of this member. Its
    // partition is paused instead, and the batch finishes on its own.
    const resume = payload.pause();
    const background = handling
      .then(async () => {
        if (consumer === this.consumer && this.resolveBatch({ ...payload, joins })) await payload.heartbeat();
      })
      .catch((error: unknown) => {
        // Left unresolved: the partition's owner reads the batch again from its first event.
        this.logger?.warn("event_batch_left_unfinished", { ...this.spec.label, partition, error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        resume();
        this.delivering.delete(background);
      });
    this.delivering.add(background);
  }

  /**
   * Marks a handled batch's events as handled, unless the group was joined again since it was
   * fetched; kafkajs commits them after the batch it is handing out (a slow batch finishing in
   * the background: after the next one).
   */
  private resolveBatch({ batch, resolveOffset, isStale, joins }: HandledBatch): boolean {
    const last = batch.messages.at(-1);
    if (!last || isStale() || joins !== this.joins) return false;
    resolveOffset(last.offset);
    this.spec.handled?.(batch.topic, batch.partition, last.offset);
    return true;
  }

  private async deliver(at: EventPosition, event: DomainEvent, heartbeat: () => Promise<void>, isStale: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // Throwing leaves the batch unresolved, so its events are not committed as handled.
      if (this.stopped || isStale()) throw new MemberStopped();
      try {
        await this.spec.handle(event, at);
        await heartbeat();
        return;
      } catch (error) {
        if (error instanceof kafkajs.KafkaJSError) throw error;
        this.logger?.warn("event_handler_failed", {
          ...this.spec.label,
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
    this.logger?.error("event_consumer_crashed", { ...this.spec.label, error: error.message });
    await crashed.disconnect().catch(() => {});
    for (let pause = 500; !this.stopped; pause = Math.min(pause * 2, 10_000)) {
      await delay(pause, undefined, { signal: this.stopping.signal }).catch(() => {});
      if (this.stopped) return;
      try {
        await this.start();
        return;
      } catch (restartError) {
        this.logger?.warn("event_consumer_restart_failed", {
          ...this.spec.label,
          error: restartError instanceof Error ? restartError.message : String(restartError),
        });
      }
    }
  }
}

/** A batch whose events were all handled, and the group join it was fetched in. */
type HandledBatch = Pick<EachBatchPayload, "batch" | "resolveOffset" | "heartbeat" | "isStale"> & { joins: number };

/** A crash while joining, or a broker error kafkajs marks retriable, may pass on a new consumer. */
function isWorthRetrying(error: unknown): error is Error {
  return error instanceof ConsumerCrashedWhileJoining || (error instanceof kafkajs.KafkaJSError && error.retriable);
}

class ConsumerCrashedWhileJoining extends Error {
  constructor(cause: Error) {
    super(`the consumer crashed while joining its group: ${cause.message}`, { cause });
  }
}

/**
 * Thrown from a handler loop that was told to stop. A retriable KafkaJSError, so kafkajs
 * neither logs it as a handler failure nor crashes the consumer, which is shutting down.
 */
class MemberStopped extends kafkajs.KafkaJSError {
  constructor() {
    super("The subscription stopped before the event was handled", { retriable: true });
  }
}

/** Whether `work` settles within `ms` (rethrowing if it failed); it goes on either way. */
async function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
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
