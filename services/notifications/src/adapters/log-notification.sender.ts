import type { Logger } from "#kernel";
import type { NotificationMessage } from "../domain/notification.js";
import type { NotificationSender } from "../ports/notification-sender.js";

/** Writes each message to the log: the fallback with neither SMTP_URL nor NOTIFICATIONS_DIR. */
export class LogNotificationSender implements NotificationSender {
  readonly engine = "log";

  constructor(private readonly logger: Logger) {}

  async send(message: NotificationMessage): Promise<void> {
    this.logger.info("notification", { channel: message.channel, to: message.to, kind: message.kind, orderId: message.orderId, subject: message.subject, text: message.text });
  }

  async close(): Promise<void> {}
}
