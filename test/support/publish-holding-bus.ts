import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "#kernel";

/**
 * A bus that can keep one publish of an event type from returning once the broker has it, so
 * its publisher (the outbox relay, inside its transaction) waits there; counts each event's
 * publishes.
 */
export class PublishHoldingBus implements EventBus {
  readonly engine: string;
  readonly publishes = new Map<string, number>();
  private held: { type: string; reached: () => void; released: Promise<void> } | undefined;

  constructor(private readonly inner: EventBus) {
    this.engine = inner.engine;
  }

  /** The next publish carrying `type` waits after the broker took it, until `release`. */
  holdNextPublished(type: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { type, reached, released };
    return { reached: reachedPromise, release };
  }

  async publish(topic: string, events: DomainEvent[]): Promise<void> {
    await this.inner.publish(topic, events);
    for (const event of events) this.publishes.set(event.id, (this.publishes.get(event.id) ?? 0) + 1);
    const held = this.held;
    if (held && events.some((event) => event.type === held.type)) {
      this.held = undefined;
      held.reached();
      await held.released;
    }
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
