import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "#kernel";

/**
 * Gives one test run its own topics and consumer groups on a shared broker: every topic and
 * group name gets `prefix`, so runs side by side (or a run and an earlier run's leftovers)
 * never consume each other's events. Groups need it as much as topics: Kafka's group leader
 * hands out only the topics it subscribed to, so two runs sharing the group `payments` on
 * different topics would leave one run's topic without a consumer. The code under test still
 * names the real topics and groups (Topics.payments, "payments").
 */
export class TopicPrefixedEventBus implements EventBus {
  readonly engine: string;

  constructor(
    private readonly inner: EventBus,
    private readonly prefix: string,
  ) {
    this.engine = inner.engine;
  }

  publish(topic: string, events: DomainEvent[]): Promise<void> {
    return this.inner.publish(this.prefix + topic, events);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe({ ...options, topic: this.prefix + options.topic, group: this.prefix + options.group });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
