import { createTransport, type Mail } from "nodemailer";
import type { NotificationMessage } from "../domain/notification.js";
import type { NotificationSender } from "../ports/notification-sender.js";
import { toMailOptions } from "./mail-options.js";

/**
 * Order emails through an SMTP server (production), e.g. SMTP_URL=smtp://user:pass@host:587.
 * Timeouts stay under the delivery log's transaction limit (5 s), so a hung server fails the
 * attempt (to be retried) rather than the bookkeeping around it.
 */
export class SmtpNotificationSender implements NotificationSender {
  readonly engine = "smtp";
  private readonly transport: Mail;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = createTransport({ url: smtpUrl, connectionTimeout: 3_000, greetingTimeout: 3_000, socketTimeout: 4_000 });
  }

  async send(message: NotificationMessage): Promise<void> {
    if (message.channel !== "email") throw new Error(`SMTP sends email only; no gateway is configured for ${message.channel}`);
    await this.transport.sendMail(toMailOptions(message, this.from));
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
