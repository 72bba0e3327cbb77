import { setTimeout as delay } from "node:timers/promises";
import { isPlainMailbox, withDeadLetter, type DomainEvent, type EventBus, type Logger } from "#kernel";
import { draftNotification, type NotificationDraft, type NotificationMessage } from "./notification.js";
import type { AccountLinks } from "./account-mail-draft.js";
import type { RecipientLookup } from "./recipient-lookup.js";
import type { NotificationSender } from "../ports/notification-sender.js";
import type { Recipient } from "../ports/recipient-directory.js";
import type { DeliveryLog } from "../ports/delivery-log.js";

export const NOTIFICATIONS_CONSUMER = "notifications";

export interface NotificationDispatcherDeps {
  sender: NotificationSender;
  /** The customer's real address, from accounts. */
  recipients: RecipientLookup;
  accountLinks: AccountLinks;
  deliveries: DeliveryLog;
  bus: EventBus;
  logger: Logger;
  /** Sends per message before it goes to the dead-letter topic. */
  maxAttempts: number;
  /** First retry delay, doubled per retry (half of it random), capped at 32 times itself. */
  retryBaseMs: number;
  random?: () => number;
}

/**
 * Turns events into customer messages. A message that fails to send is retried here with
 * exponential backoff; after `maxAttempts` the event goes to `<topic>.dead-letter` and the
 * consumer moves on. Notifications run in their own consumer group, so a broken mail server
 * delays only other notifications, never an order or a payment.
 * Each (event, channel) is sent once: redeliveries find it in the delivery log.
 */
export function createNotificationDispatcher(deps: NotificationDispatcherDeps) {
  const { sender, recipients, deliveries, bus, logger, maxAttempts, retryBaseMs } = deps;
  const random = deps.random ?? Math.random;

  function messagesFor(draft: NotificationDraft, recipient: Recipient, event: DomainEvent): NotificationMessage[] {
    const base = { ...draft, occurredAt: event.occurredAt };
    const messages: NotificationMessage[] = [];
    // An address taken before sign-up held addresses to one plain mailbox may read, to mail
    // software, as a name and another mailbox or as a list: its mail would reach someone else.
    if (recipient.email && isPlainMailbox(recipient.email)) messages.push({ ...base, id: `${event.id}.email`, channel: "email", to: recipient.email });
    if (recipient.phone && !draft.emailOnly) messages.push({ ...base, id: `${event.id}.sms`, channel: "sms", to: recipient.phone, text: `${draft.subject}. ${draft.text}` });
    return messages;
  }

  async function sendAll(draft: NotificationDraft, event: DomainEvent): Promise<void> {
    const recipient = await recipients.find(draft.userId);
    if (!recipient) {
      // Deleted since the event was written: nobody to tell, and retrying would not change that.
      logger.info("notification skipped: no such account", { userId: draft.userId, kind: draft.kind, orderId: draft.orderId, eventId: event.id });
      return;
    }
    const messages = messagesFor(draft, recipient, event);
    if (messages.length === 0) logger.warn("notification has no address to go to", { userId: draft.userId, kind: draft.kind, eventId: event.id });
    for (const message of messages) {
      const sent = await deliveries.once(`${NOTIFICATIONS_CONSUMER}.${message.channel}`, event, () => sender.send(message));
      if (sent) logger.info("notification sent", { kind: message.kind, channel: message.channel, userId: message.userId, orderId: message.orderId, eventId: event.id });
    }
  }

  async function dispatch(event: DomainEvent): Promise<void> {
    // A malformed event throws here, before any retry: the wrapper dead-letters it at once.
    const draft = draftNotification(event, deps.accountLinks);
    if (!draft) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await sendAll(draft, event);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        const ceiling = retryBaseMs * 2 ** Math.min(attempt - 1, 5);
        logger.warn("notification failed; retrying", { kind: draft.kind, orderId: draft.orderId, eventId: event.id, attempt, error: String(error) });
        await delay(Math.round(ceiling / 2 + random() * (ceiling / 2)));
      }
    }
  }

  return {
    /** The handler for one topic: retries inside, so the dead-letter wrapper gives up on the first throw. */
    handlerFor: (topic: string) => withDeadLetter({ bus, topic, consumer: NOTIFICATIONS_CONSUMER, logger, maxAttempts: 1 }, dispatch),
  };
}
