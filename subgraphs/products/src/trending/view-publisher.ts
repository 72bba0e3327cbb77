import type { DomainEvent, EventBus } from "#kernel";

/** Events in one publish at most: a batch stays well under Kafka's default message batch limits. */
const MAX_BATCH = 500;

/**
 * Publishes view events in group commits: while one publish is on its way, the views arriving
 * meanwhile wait and go out together in the next one. A view costs a share of a round trip to
 * the broker instead of one of its own (acks from every replica), with no timer adding latency
 * when views are few. Each caller's promise settles with the publish that carried its event.
 */
export function createViewPublisher(bus: EventBus, topic: string) {
  let waiting: { event: DomainEvent; settle: (error?: unknown) => void }[] = [];
  let publishing = false;

  async function drain(): Promise<void> {
    publishing = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      try {
        await bus.publish(
          topic,
          batch.map((each) => each.event),
        );
        for (const each of batch) each.settle();
      } catch (error) {
        for (const each of batch) each.settle(error);
      }
    }
    publishing = false;
  }

  return {
    publish(event: DomainEvent): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ event, settle: (error) => (error === undefined ? resolve() : reject(error)) });
        if (!publishing) void drain();
      });
    },
  };
}
