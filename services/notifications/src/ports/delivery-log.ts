import type { DomainEvent } from "#kernel";

/**
 * Remembers which events were notified, per channel, so a redelivered event is not sent again.
 * `once` runs `send` only when `(consumer, event)` is not recorded, and records it only when
 * `send` succeeds; it resolves false for an event already sent.
 */
export interface DeliveryLog {
  once(consumer: string, event: DomainEvent, send: () => Promise<void>): Promise<boolean>;
}
