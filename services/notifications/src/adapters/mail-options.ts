import type { SendMailOptions } from "nodemailer/lib/mailer";
import type { NotificationMessage } from "../domain/notification.js";

/**
 * One email as every mail adapter writes it. The Message-ID comes from the message id, so a
 * resent notification is recognisably the same mail to servers and clients that dedupe.
 */
export function toMailOptions(message: NotificationMessage, from: string): SendMailOptions {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    date: new Date(message.occurredAt),
    messageId: `<${message.id}@notifications.storefront.example>`,
    headers: { "X-Storefront-Kind": message.kind, ...(message.orderId ? { "X-Storefront-Order": message.orderId } : {}) },
  };
}
