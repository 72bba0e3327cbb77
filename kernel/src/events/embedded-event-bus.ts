import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";

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
 * offset per consumer group, like a one-partition Kafka topic. A group delivers one event
 * at a time, so per-key order holds; a failing handler is retried with backoff until it
 * succeeds (at-least-once), blocking only its own group, as a stuck Kafka partition would.
 */
export class EmbeddedEventBus implements EventBus {
  readonly engine = "embedded";
  private readonly topics = new Map<string, Topic>();
  private closed = false;

  constructor(private readonly options: { maxBackoffMs?: number; onHandlerError?: (error: unknown, event: DomainEvent) => void } = {}) {}

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
    let failures = 0;
    while (!this.closed && group.offset < topic.log.length && group.members.length > 0) {
      const event = topic.log[group.offset]!;
      // Members share a group's work by key, as partitions would share it.
      const member = group.members[hashKey(event.key) % group.members.length]!;
      try {
        await member.handle(structuredClone(event));
        group.offset += 1;
        failures = 0;
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
