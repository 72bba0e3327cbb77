import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "#kernel";
export { NamespacedEventBus } from "#kernel/testing";

/**
 * A bus whose broker can be "stopped": while down every publish fails, as a real publish
 * does when Kafka is unreachable. When it comes back, it can lose acknowledgements: for each
 * event type given in `lostAcks`, that many publishes carrying the type reach the broker but
 * still fail, as when a broker takes a batch and the acknowledgement is lost on the way, so
 * the outbox relay publishes those events again and consumers receive them twice.
 */
export class OutageEventBus implements EventBus {
  readonly engine: string;
  private down = false;
  private lostAcks = new Map<string, number>();
  readonly stats = { refused: 0, published: 0, duplicatedTypes: new Map<string, number>() };

  constructor(private readonly inner: EventBus) {
    this.engine = inner.engine;
  }

  stopBroker(): void {
    this.down = true;
  }

  startBroker(options: { lostAcks?: Record<string, number> } = {}): void {
    this.lostAcks = new Map(Object.entries(options.lostAcks ?? {}));
    this.down = false;
  }

  async publish(topic: string, events: DomainEvent[]): Promise<void> {
    if (this.down) {
      this.stats.refused += 1;
      throw new Error("Kafka broker unavailable (simulated outage)");
    }
    await this.inner.publish(topic, events);
    const types = new Set(events.map((event) => event.type));
    const losing = [...types].filter((type) => (this.lostAcks.get(type) ?? 0) > 0);
    if (losing.length > 0) {
      for (const type of losing) this.lostAcks.set(type, this.lostAcks.get(type)! - 1);
      for (const event of events) this.stats.duplicatedTypes.set(event.type, (this.stats.duplicatedTypes.get(event.type) ?? 0) + 1);
      throw new Error("Kafka acknowledgement lost (simulated)");
    }
    this.stats.published += events.length;
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
