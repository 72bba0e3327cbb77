import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";
import { handleByKey } from "./keyed-concurrency.js";
import { EmbeddedEventJournal, letGo, type JournaledTopic } from "./embedded-event-journal.js";
import { handleTraced, publishTraced } from "../observability/tracing-events.js";

/** Events a lane takes from its log at once; their keys are handled concurrently. */
const WINDOW = 512;
/**
 * A group's events are shared over this many lanes by key, as a Kafka topic's are over its
 * partitions: a slow key (a payment provider taking seconds) holds back its own lane only.
 */
const LANES = 16;
/** Events every group has read are let go of this many at a time, not one by one. */
const LET_GO_STEP = 4_096;

interface Member {
  handle: SubscribeOptions["handle"];
  /** Its handler calls not yet returned: stop() waits for them, as a Kafka member's does. */
  handling: Set<Promise<void>>;
}

interface Group {
  name: string;
  /** Absolute: every event before this offset was handled, in every lane. */
  offset: number;
  members: Member[];
  lanes: Lane[];
  /** Kept across restarts and for members to come; "latest" groups live as long as their members. */
  durable: boolean;
}

interface Lane {
  /** Absolute: every event of this lane before it was handled (never behind the group's offset). */
  cursor: number;
  running: boolean;
}

interface Topic extends JournaledTopic {
  groups: Map<string, Group>;
}

export interface EmbeddedEventBusOptions {
  maxBackoffMs?: number;
  /** Keys of one group handled at once, spread over its lanes (at least one a lane). */
  keyConcurrency?: number;
  onHandlerError?: (error: unknown, event: DomainEvent) => void;
  onWarning?: (message: string, detail: Record<string, unknown>) => void;
  /** Journal records between snapshots (see Journal). */
  compactAfter?: number;
}

/**
 * In-process event bus for the zero-setup mode: an append-only log per topic and an
 * offset per consumer group. A group's events are shared over lanes by key, as partitions
 * share a Kafka topic's; a lane takes its events a window at a time and handles different keys
 * concurrently, each key's events in order (see handleByKey). A failing handler is retried
 * with backoff until it succeeds (at-least-once), holding up its key and its lane's next
 * window, as a stuck Kafka partition would; the other lanes go on.
 *
 * Opened on a directory (`EmbeddedEventBus.open`), the log and the durable groups' offsets
 * survive a restart: `publish` returns once its events are on disk, and a group resumes after
 * the last window it finished. Events every group has read are let go of.
 */
export class EmbeddedEventBus implements EventBus {
  readonly engine = "embedded";
  private readonly topics = new Map<string, Topic>();
  private journal?: EmbeddedEventJournal;
  private closed = false;
  /** Process-scoped subscriptions made so far: each gets a group of its own. */
  private processGroups = 0;
  private readonly commits = new Set<Promise<void>>();

  constructor(private readonly options: EmbeddedEventBusOptions = {}) {}

  /** The bus kept in `dir`: its retained events and offsets loaded, then journaled as they change. */
  static async open(dir: string, options: EmbeddedEventBusOptions = {}): Promise<EmbeddedEventBus> {
    const bus = new EmbeddedEventBus(options);
    bus.journal = await EmbeddedEventJournal.open(
      dir,
      {
        topics: () => bus.topics.values(),
        topic: (name) => bus.topic(name),
        group: (topic, name) => bus.group(topic as Topic, name, true),
      },
      { onWarning: options.onWarning, compactAfter: options.compactAfter },
    );
    // The journal may hold events every group had read since its last snapshot.
    for (const topic of bus.topics.values()) bus.letGoOfRead(topic, 1);
    return bus;
  }

  async publish(topicName: string, events: DomainEvent[]): Promise<void> {
    if (this.closed) throw new Error("Event bus is closed");
    // Traced as Kafka publishes are: an event keeps its trace context as a header would.
    await publishTraced(this.engine, topicName, events, async (traced) => {
      const topic = this.topic(topicName);
      const offset = topic.base + topic.log.length;
      const copies = traced.map((e) => structuredClone(e));
      topic.log.push(...copies);
      await this.journal?.appended(topicName, offset, copies);
      for (const group of topic.groups.values()) this.drain(topic, group);
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const topic = this.topic(options.topic);
    const ownGroup = options.scope === "process";
    const durable = !ownGroup && options.start !== "latest";
    // A process-scoped subscription is a group of its own, whatever its name.
    const name = ownGroup ? `${options.group}#process-${++this.processGroups}` : options.group;
    const known = topic.groups.has(name);
    const group = this.group(topic, name, durable);
    // A new durable group's start is kept at once, so the events it has still to read are too.
    if (!known && durable) await this.journal?.committed(topic.name, group.name, group.offset);
    const traced = handleTraced(this.engine, options.topic, options.group, options.handle);
    const handling = new Set<Promise<void>>();
    const member: Member = {
      handling,
      handle: (event) => {
        const call = traced(event);
        handling.add(call);
        return call.finally(() => handling.delete(call));
      },
    };
    group.members.push(member);
    this.drain(topic, group);
    return {
      // Resolves once none of its handler calls runs: its owner closes what they use next.
      stop: async () => {
        group.members = group.members.filter((m) => m !== member);
        if (!group.durable && group.members.length === 0) topic.groups.delete(group.name);
        await Promise.allSettled([...handling]);
      },
    };
  }

  /** Events each consumer group has still to handle, per topic: what consumer lag is on Kafka. */
  lag(): { group: string; topic: string; lag: number }[] {
    return [...this.topics.values()].flatMap((topic) => [...topic.groups.values()].map((group) => ({ group: group.name, topic: topic.name, lag: topic.base + topic.log.length - group.offset })));
  }

  async close(): Promise<void> {
    this.closed = true;
    const handling: Promise<void>[] = [];
    for (const topic of this.topics.values())
      for (const group of topic.groups.values()) {
        for (const member of group.members) handling.push(...member.handling);
        group.members = [];
      }
    await Promise.allSettled(handling);
    // A clean stop keeps what was handled as handled.
    await Promise.all(this.commits);
    await this.journal?.close();
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = { name, base: 0, log: [], groups: new Map() };
      this.topics.set(name, topic);
    }
    return topic;
  }

  private group(topic: Topic, name: string, durable: boolean): Group {
    let group = topic.groups.get(name);
    if (!group) {
      const offset = durable ? topic.base : topic.base + topic.log.length;
      group = { name, offset, members: [], lanes: Array.from({ length: LANES }, () => ({ cursor: offset, running: false })), durable };
      topic.groups.set(name, group);
    }
    return group;
  }

  private drain(topic: Topic, group: Group): void {
    group.lanes.forEach((lane, index) => {
      if (lane.running) return;
      lane.running = true;
      void this.deliver(topic, group, lane, index).finally(() => {
        lane.running = false;
      });
    });
  }

  private async deliver(topic: Topic, group: Group, lane: Lane, index: number): Promise<void> {
    const concurrency = Math.max(1, Math.floor((this.options.keyConcurrency ?? 64) / LANES));
    while (!this.closed && group.members.length > 0) {
      // Absolute, since another group may let go of the log's head meanwhile (never past this
      // group's offset); a restored journal may have moved the group's offset past the lane.
      let next = Math.max(lane.cursor, group.offset, topic.base);
      const end = topic.base + topic.log.length;
      const window: DomainEvent[] = [];
      for (; next < end && window.length < WINDOW; next++) {
        const event = topic.log[next - topic.base]!;
        if (hashKey(event.key) % LANES === index) window.push(event);
      }
      if (window.length > 0) {
        try {
          await handleByKey(window, (event) => this.handleUntilDone(group, event), concurrency);
        } catch {
          // Every member left mid-window: the window is delivered again, whole, to the next one.
          return;
        }
      }
      lane.cursor = next;
      await this.committed(topic, group);
      // Checked after the commit: an event published meanwhile found this lane running.
      if (next >= topic.base + topic.log.length) return;
    }
  }

  /** Moves the group's offset to its slowest lane's cursor, and keeps it if the group is durable. */
  private async committed(topic: Topic, group: Group): Promise<void> {
    const floor = Math.min(...group.lanes.map((lane) => Math.max(lane.cursor, group.offset)));
    if (floor <= group.offset) return;
    group.offset = floor;
    // Lost with a crash, the commit only means these events are delivered once more.
    if (group.durable && this.journal) {
      const commit = this.journal.committed(topic.name, group.name, floor).catch(() => undefined);
      this.commits.add(commit);
      await commit;
      this.commits.delete(commit);
    }
    this.letGoOfRead(topic);
  }

  /** Memory stays bounded by what the slowest group has still to read. */
  private letGoOfRead(topic: Topic, step = LET_GO_STEP): void {
    if (topic.groups.size === 0) return;
    const floor = Math.min(...[...topic.groups.values()].map((g) => g.offset));
    if (floor - topic.base >= step) letGo(topic, floor);
  }

  private async handleUntilDone(group: Group, event: DomainEvent): Promise<void> {
    for (let failures = 0; ; ) {
      if (this.closed || group.members.length === 0) throw new Error("no member left to handle the event");
      // Members share a group's work by key, as partitions would share it.
      const member = group.members[hashKey(event.key) % group.members.length]!;
      try {
        await member.handle(structuredClone(event));
        return;
      } catch (error) {
        failures += 1;
        this.options.onHandlerError?.(error, event);
        await sleep(Math.min(this.options.maxBackoffMs ?? 1000, 10 * 2 ** failures));
      }
    }
  }
}

function hashKey(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
