import type { TraceCarrier } from "../observability/tracing-context.js";

/**
 * A fact that happened, published to a topic. `key` orders events: two events with the
 * same key reach each consumer group in the order they were published.
 */
export interface DomainEvent<TPayload = unknown> {
  id: string;
  type: string;
  key: string;
  occurredAt: string;
  payload: TPayload;
  /**
   * The trace the event continues (W3C Trace Context), set by the bus and the outbox relay
   * when tracing: Kafka carries it in message headers, not in the value.
   */
  trace?: TraceCarrier;
}

export interface SubscribeOptions {
  topic: string;
  /** Consumers in one group share the work; every group sees every event. */
  group: string;
  /**
   * Where a group with no committed position starts: "earliest" replays what the topic
   * still holds (durable consumers), "latest" only sees what comes next (live fan-out).
   */
  start?: "earliest" | "latest";
  /**
   * "shared" (the default): the group's members, in any process, share its events, and its
   * position outlives them. "process": this subscription alone sees every event published after
   * it subscribed (`start` is "latest"), and nothing of it outlives the process: a cache every
   * process invalidates, a live feed. The group then only names it in logs; adapters may serve
   * all of a process's such subscriptions with one consumer.
   */
  scope?: "shared" | "process";
  handle(event: DomainEvent): Promise<void>;
}

export interface Subscription {
  stop(): Promise<void>;
}

/**
 * The events role. Guarantees every adapter keeps (the contract suite checks them):
 * - at-least-once: an event whose handler throws is delivered again, so handlers must be
 *   idempotent (see `ProcessedEvent`);
 * - per-key order within a topic and group;
 * - consumer groups: each group receives each event, shared among its members.
 */
export interface EventBus {
  readonly engine: string;
  publish(topic: string, events: DomainEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}
