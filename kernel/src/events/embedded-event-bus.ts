import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";
import { handleByKey } from "./keyed-concurrency.js";

/** Events a group takes from its log at once; their keys are handled concurrently. */
const WINDOW = 512;

interface Member {
  handle: SubscribeOptions["handle"];
}

interface Group {
  offset: number;
  members: Member[];
  running: boolean;
}

interface Topic {
  log: DomainEvent[];
  groups: Map<string, Group>;
}

/**
 * In-process event bus for the zero-setup mode: an append-only log per topic and an
 * offset per consumer group. A group takes the events after its offset a window at a time
 * and handles different keys concurrently, each key's events in order (see handleByKey);
 * a failing handler is retried with backoff until it succeeds (at-least-once), holding up
 * its key and the group's next window, as a stuck Kafka partition would.
 */
export class EmbeddedEventBus implements EventBus {
  readonly engine = "embedded";
  private readonly topics = new Map<string, Topic>();
  private closed = false;

  constructor(
    private readonly options: {
      maxBackoffMs?: number;
      /** Keys of one group handled at once. */
      keyConcurrency?: number;
      onHandlerError?: (error: unknown, event: DomainEvent) => void;
    } = {},
  ) {}

  async publish(topicName: string, events: DomainEvent[]): Promise<void> {
    if (this.closed) throw new Error("Event bus is closed");
    const topic = this.topic(topicName);
    topic.log.push(...events.map((e) => structuredClone(e)));
    for (const group of topic.groups.values()) this.drain(topic, group);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const topic = this.topic(options.topic);
    let group = topic.groups.get(options.group);
    if (!group) {
      group = { offset: options.start === "latest" ? topic.log.length : 0, members: [], running: false };
      topic.groups.set(options.group, group);
    }
    const member: Member = { handle: options.handle };
    group.members.push(member);
    this.drain(topic, group);
    const owner = group;
    return {
      stop: async () => {
        owner.members = owner.members.filter((m) => m !== member);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const topic of this.topics.values()) for (const group of topic.groups.values()) group.members = [];
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = { log: [], groups: new Map() };
      this.topics.set(name, topic);
    }
    return topic;
  }

  private drain(topic: Topic, group: Group): void {
    if (group.running) return;
    group.running = true;
    void this.deliver(topic, group).finally(() => {
      group.running = false;
    });
  }

  private async deliver(topic: Topic, group: Group): Promise<void> {
    while (!this.closed && group.offset < topic.log.length && group.members.length > 0) {
      const window = topic.log.slice(group.offset, group.offset + WINDOW);
      try {
        await handleByKey(window, (event) => this.handleUntilDone(group, event), this.options.keyConcurrency ?? 64);
        group.offset += window.length;
      } catch {
        // Every member left mid-window: the window is delivered again, whole, to the next one.
        return;
      }
    }
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
