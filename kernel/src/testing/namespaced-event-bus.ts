import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "../events/event-bus.js";

/**
 * Prefixes every topic and consumer group, so runs sharing one Kafka broker never see each
 * other's events. Groups need it as much as topics: Kafka keys a group by its id alone, and
 * members of one `orders` group subscribed to different topics leave partitions unassigned.
 */
export class NamespacedEventBus implements EventBus {
  readonly engine: string;

  constructor(
    private readonly inner: EventBus,
    private readonly namespace: string,
  ) {
    this.engine = inner.engine;
  }

  publish(topic: string, events: DomainEvent[]): Promise<void> {
    return this.inner.publish(`${this.namespace}.${topic}`, events);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe({ ...options, topic: `${this.namespace}.${options.topic}`, group: `${this.namespace}.${options.group}` });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
