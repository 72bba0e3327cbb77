import type { NotificationMessage } from "../domain/notification.js";

/**
 * The notifications role: hands one message to a channel (mail server, SMS gateway, folder).
 * Guarantees every adapter keeps: `send` resolves only once the message is accepted and
 * rejects otherwise (the dispatcher retries it); sending the same message id twice is
 * allowed, and adapters that can, make it harmless (a file per id, a stable Message-ID).
 */
export interface NotificationSender {
  readonly engine: string;
  send(message: NotificationMessage): Promise<void>;
  close(): Promise<void>;
}
