import kafkajs, { Kafka, Partitioners, logLevel } from "kafkajs";
import type { Admin, ISocketFactory, LogEntry, Producer } from "kafkajs";
import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";
import type { Logger } from "../logging/logger.js";
import { GroupMember, kafkaGroupId, sharedGroupSpec, type StartOffset } from "./kafka-group-member.js";
import { KafkaProcessFanOut } from "./kafka-process-fan-out.js";
import { withDeadline } from "./with-deadline.js";
import { setTimeout as delay } from "node:timers/promises";
import { handleTraced, publishTraced } from "../observability/tracing-events.js";
import { fixKafkaRequestQueueIdleLoop } from "./kafkajs-request-queue-fix.js";
import { closeKafkaConnectionsOnRequestTimeout } from "./kafkajs-timed-out-connection-fix.js";
import { KafkaClientSlot } from "./kafka-client-slot.js";

fixKafkaRequestQueueIdleLoop();
closeKafkaConnectionsOnRequestTimeout();

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs warnings and errors, and failed handlers; without it kafkajs is silent. */
  logger?: Logger;
  /** Partitions of the topics this bus creates: the most members a group can keep busy. */
  partitions?: number;
  replicationFactor?: number;
  /** A publish rejects after this long, so an outbox relay learns of an outage and retries. */
  publishTimeoutMs?: number;
  /** A subscribe rejects when its consumer has not joined the group and fetched by then. */
  subscribeTimeoutMs?: number;
  /**
   * How long an idle fetch waits on the broker. The broker answers as soon as a record
   * arrives, so this does not delay delivery; it sets how often an idle consumer asks again
   * (and how long a rebalance, or leaving a group after a stop, may wait for the fetch in flight).
   */
  maxWaitTimeMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Cap of the pause between two attempts at an event whose handler keeps failing. */
  maxBackoffMs?: number;
  /** Keys of one partition handled at once; each key's events stay in order. */
  keyConcurrency?: number;
  /**
   * A partition's batch still being handled after this long stops holding up the member's
   * other partitions: it is paused until the batch is done, then read on.
   */
  slowBatchMs?: number;
  /**
   * Put before every topic name and consumer group id on the broker, so deployments sharing a
   * broker never see each other's events (e.g. `staging.`). Callers keep using the port's
   * topic names; dead-letter topics follow, being topics published through this bus.
   */
  topicPrefix?: string;
  /** How the client opens its broker connections (kafkajs's own by default); tests cut them with it. */
  socketFactory?: ISocketFactory;
}

type Settings = Required<Omit<KafkaEventBusOptions, "logger" | "socketFactory">>;

const DEFAULTS: Omit<Settings, "brokers" | "clientId"> = {
  partitions: 3,
  replicationFactor: 1,
  publishTimeoutMs: 5_000,
  subscribeTimeoutMs: 30_000,
  // An idle platform has a consumer per subscription, and each fetch with its heartbeat costs
  // about a millisecond of CPU: at 1 s, 14 consumers kept 2.5% of a core busy, at 5 s (kafkajs's
  // own default) under 1%, with delivery as fast (see BENCHMARKS.md).
  maxWaitTimeMs: 5_000,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxBackoffMs: 1_000,
  keyConcurrency: 64,
  slowBatchMs: 1_000,
  topicPrefix: "",
};

/**
 * The event bus on Kafka. A topic's records are keyed by `event.key`, so one key always lands
 * in one partition and keeps its order; each `subscribe` is one consumer in the given group.
 *
 * Within a partition, a fetched batch is handled by key: different keys at once, each key's
 * events in order (`keyConcurrency`), so one slow handler does not hold every other key back.
 * A batch still running after `slowBatchMs` pauses its partition and lets the member fetch its
 * other partitions: kafkajs would otherwise fetch nothing until that batch was done.
 * At-least-once: a handler that throws is retried in place, with backoff, and the batch's
 * offset is not committed until every event of it succeeded; the next batch of that
 * partition waits meanwhile. If the member stops or loses the partition in a rebalance while retrying, the
 * uncommitted event goes to whichever member owns the partition next.
 */
export class KafkaEventBus implements EventBus {
  readonly engine = "kafka";
  private readonly kafka: Kafka;
  private readonly settings: Settings;
  /** Each given up after a failed call, so a connection gone silent is not used again. */
  private readonly producer: KafkaClientSlot<Producer>;
  private readonly admin: KafkaClientSlot<Admin>;
  /** Topics known to exist, or being created: one creation per topic and process. */
  private readonly topics = new Map<string, Promise<void>>();
  private readonly members = new Set<GroupMember>();
  /** Stopped members still leaving their groups (see GroupMember.stop). */
  private readonly leaving = new Set<Promise<void>>();
  /** Serves every `scope: "process"` subscription with one consumer, made at the first. */
  private fanOut?: KafkaProcessFanOut;
  private closed = false;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.settings = { ...DEFAULTS, ...withoutUndefined(options) } as Settings;
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: options.clientId,
      connectionTimeout: 1_000,
      ...(options.socketFactory && { socketFactory: options.socketFactory }),
      requestTimeout: 5_000,
      // Short retries everywhere (kafkajs defaults to backing off up to 30 s): the caller,
      // an outbox relay or a consumer restart, tries again later anyway.
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
      logLevel: options.logger ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry) => forwardLog(options.logger, entry),
    });
    this.producer = new KafkaClientSlot(() =>
      // Idempotent: the broker drops a batch it already has when kafkajs retries a send,
      // so a retry never duplicates or reorders. kafkajs defaults an idempotent producer to
      // endless retries, which would hang a publish while the broker is down; the retries
      // are bounded instead (and the warning about it muted below), because the outbox
      // relay above retries the whole publish, and consumers are idempotent by contract.
      this.kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
      }),
    );
    this.admin = new KafkaClientSlot(() => this.kafka.admin());
  }

  async publish(topic: string, events: DomainEvent[]): Promise<void> {
    if (this.closed) throw new Error("Event bus is closed");
    if (events.length === 0) return;
    const name = this.settings.topicPrefix + topic;
    let producer: Promise<Producer> | undefined;
    let sending: Promise<unknown> | undefined;
    await publishTraced(this.engine, topic, events, (traced) =>
      withDeadline(this.settings.publishTimeoutMs, `Kafka: publishing to ${name}`, async () => {
        await this.ensureTopic(name);
        producer = this.producer.connected();
        sending = producer.then((connected) => connected.send({
          topic: name,
          acks: -1,
          timeout: this.settings.publishTimeoutMs,
          messages: traced.map(({ trace, ...event }) => ({
            key: event.key,
            value: JSON.stringify(event),
            // Repeated in headers so tools can route and filter without parsing the value; the
            // trace context where every OpenTelemetry-aware Kafka client looks for it.
            headers: { "event-id": event.id, "event-type": event.type, ...trace },
          })),
        }));
        await sending;
      }),
    ).catch((error: unknown) => {
      // Given up at the deadline too, not only when kafkajs's own retries end: the relay's
      // next try then connects anew (see KafkaClientSlot).
      if (producer) this.producer.giveUp(producer, sending);
      throw error;
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error("Event bus is closed");
    const name = this.settings.topicPrefix + options.topic;
    await this.ensureTopic(name);
    const traced = { ...options, handle: handleTraced(this.engine, options.topic, options.group, options.handle) };
    if (options.scope === "process") return { stop: await this.processFanOut().add(name, traced.handle) };
    const startOffsets = options.start === "latest" ? await this.uncommittedEnds(name, kafkaGroupId(this.settings.topicPrefix, options.group, options.topic)) : [];
    const member = new GroupMember(this.kafka, sharedGroupSpec(traced, this.settings.topicPrefix, startOffsets), this.settings, this.options.logger);
    this.members.add(member);
    try {
      await member.start();
    } catch (error) {
      this.members.delete(member);
      await member.stop();
      throw error;
    }
    return {
      stop: async () => {
        this.members.delete(member);
        await this.stopMember(member);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = [...this.members];
    this.members.clear();
    await Promise.all([...members.map((member) => this.stopMember(member)), this.fanOut?.close()]);
    // Members leave their groups before the clients go, so partitions move on at once.
    await Promise.all(this.leaving);
    await Promise.all([this.producer.close(), this.admin.close()]);
  }

  private async stopMember(member: GroupMember): Promise<void> {
    await member.stop();
    const left = member.left.finally(() => this.leaving.delete(left));
    this.leaving.add(left);
  }

  private processFanOut(): KafkaProcessFanOut {
    this.fanOut ??= new KafkaProcessFanOut({
      kafka: this.kafka,
      settings: this.settings,
      logger: this.options.logger,
      groupPrefix: `${this.settings.topicPrefix}${this.options.clientId}.process.`,
      ends: (topic) => this.topicEnds(topic),
      retire: (member) => this.stopMember(member),
    });
    return this.fanOut;
  }

  /** `topic` is the name on the broker (prefixed). */
  private ensureTopic(topic: string): Promise<void> {
    let ready = this.topics.get(topic);
    if (!ready) {
      ready = this.whileSettling(`creating ${topic}`, () =>
        this.admin.use(async (admin) => {
          // Resolves false when the topic already exists, which is just as good.
          await admin.createTopics({
            waitForLeaders: true,
            topics: [{ topic, numPartitions: this.settings.partitions, replicationFactor: this.settings.replicationFactor }],
          });
        }),
      );
      this.topics.set(topic, ready);
      ready.catch(() => this.topics.delete(topic));
    }
    return ready;
  }

  /**
   * `work` asked again while the broker says a topic's leaders or a group's coordinator are
   * still being settled (kafkajs gives up on some of these at once: a partition's ends read
   * while its leadership moves answer "not the leader", and a subscription at "latest" made
   * right after its topic's creation failed so about once in six), within the subscribe
   * deadline. Each failed try gave its admin client up (see KafkaClientSlot), so the next one
   * reads the leaders afresh. A broker that cannot be reached is not this: that fails at once.
   */
  private async whileSettling<T>(what: string, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.settings.subscribeTimeoutMs;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
      try {
        return await work();
      } catch (error) {
        if (!isLeadershipSettling(error) || this.closed || Date.now() + pause >= deadline) throw error;
        this.options.logger?.warn("kafka_leadership_settling", { what, error: String(error) });
        await delay(pause);
      }
    }
  }

  /** The current end of each partition of `topic` on which `groupId` has committed nothing. */
  private async uncommittedEnds(topic: string, groupId: string): Promise<StartOffset[]> {
    const committedOffsets = this.whileSettling(`reading ${groupId}'s offsets`, () => this.admin.use((admin) => admin.fetchOffsets({ groupId, topics: [topic] })));
    const [committed, ends] = await Promise.all([committedOffsets, this.topicEnds(topic)]);
    const uncommitted = new Set((committed[0]?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition));
    return ends.filter((end) => uncommitted.has(end.partition));
  }

  /** The current end of each partition of `topic`: where what is published next lands. */
  private async topicEnds(topic: string): Promise<StartOffset[]> {
    const ends = await this.whileSettling(`reading ${topic}'s ends`, () => this.admin.use((admin) => admin.fetchTopicOffsets(topic)));
    return ends.map(({ partition, high }) => ({ partition, offset: high }));
  }
}

function forwardLog(logger: Logger | undefined, { namespace, level, log }: LogEntry): void {
  if (!logger) return;
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
  const fieldsOut = { namespace, message, ...fields };
  switch (routineLevel(namespace, message)) {
    case "drop":
      return;
    case "info":
      logger.info("kafkajs", fieldsOut);
      return;
    default:
      if (level <= logLevel.ERROR) logger.error("kafkajs", fieldsOut);
      else logger.warn("kafkajs", fieldsOut);
  }
}

/** kafkajs reports some routine events as warnings or errors; they are not ours. */
function routineLevel(namespace: string, message: string): "drop" | "info" | undefined {
  // Every error response is logged by the connection, then handled (or reported) by the
  // layer that sent the request: a rebalance notice, "topic already exists", a failed send.
  if (namespace === "Connection" && message.startsWith("Response ")) return "drop";
  // The bounded retries are deliberate (see the producer made in the constructor).
  if (message.startsWith("Limiting retries for the idempotent producer")) return "drop";
  if (message.startsWith("The group is rebalancing, re-joining")) return "info";
  return undefined;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The broker answered, but a topic's partitions have no leader yet (a new topic), their
 * leadership is moving, or a group's coordinator is loading or moving. A broker that cannot be
 * reached is not this: that fails at once, as a publish during an outage must.
 */
const SETTLING = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "NOT_CONTROLLER",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
]);

function isLeadershipSettling(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof kafkajs.KafkaJSError; cause = (cause as { cause?: unknown }).cause) {
    if (SETTLING.has((cause as { type?: string }).type ?? "")) return true;
  }
  return false;
}
