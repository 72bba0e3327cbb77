import type { DomainEvent, EventBus } from "./event-bus.js";
import type { Logger } from "../logging/logger.js";
import { isTransientInfrastructureError } from "../errors/transient-error.js";
import { countDeadLetteredEvent } from "../observability/metrics-dead-letters.js";

export const deadLetterTopic = (topic: string) => `${topic}.dead-letter`;

/**
 * Wraps a handler so a poison message cannot block its partition forever: after
 * `maxAttempts` failures in this process the event goes to `<topic>.dead-letter` with the
 * last error, and the consumer moves on. Earlier failures are rethrown for redelivery.
 * A failure of the infrastructure (see isTransientInfrastructureError) is rethrown without
 * counting: it says nothing about the event, and the bus's retries ride out the outage.
 */
export function withDeadLetter(
  options: { bus: EventBus; topic: string; consumer: string; logger: Logger; maxAttempts?: number },
  handle: (event: DomainEvent) => Promise<void>,
): (event: DomainEvent) => Promise<void> {
  const attempts = new Map<string, number>();
  const maxAttempts = options.maxAttempts ?? 5;
  countDeadLetteredEvent(options.topic, options.consumer, 0);
  return async (event) => {
    try {
      await handle(event);
      attempts.delete(event.id);
    } catch (error) {
      if (isTransientInfrastructureError(error)) throw error;
      const count = (attempts.get(event.id) ?? 0) + 1;
      if (count < maxAttempts) {
        attempts.set(event.id, count);
        throw error;
      }
      attempts.delete(event.id);
      options.logger.error("event moved to dead-letter topic", { eventId: event.id, type: event.type, consumer: options.consumer, error: String(error) });
      countDeadLetteredEvent(options.topic, options.consumer);
      await options.bus.publish(deadLetterTopic(options.topic), [
        { ...event, payload: { original: event.payload, consumer: options.consumer, error: String(error), attempts: count } },
      ]);
    }
  };
}
