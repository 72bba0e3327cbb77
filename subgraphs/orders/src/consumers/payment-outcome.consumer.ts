import { Topics, withDeadLetter, type DomainEvent, type EventBus, type Logger, type Subscription } from "#kernel";
import { ORDERS_CONSUMER } from "../domain/payment-outcome.handler.js";

/**
 * The orders consumer group on the payments topic: at-least-once delivery from the bus,
 * at-most-once effect through the handler (processed event ids), and a poison event moves
 * to `payments.events.dead-letter` after repeated failures instead of blocking its partition.
 */
export function startPaymentOutcomeConsumer(deps: { bus: EventBus; logger: Logger; handle: (event: DomainEvent) => Promise<void> }): Promise<Subscription> {
  const { bus, logger } = deps;
  return bus.subscribe({
    topic: Topics.payments,
    group: ORDERS_CONSUMER,
    start: "earliest",
    handle: withDeadLetter({ bus, topic: Topics.payments, consumer: ORDERS_CONSUMER, logger }, deps.handle),
  });
}
