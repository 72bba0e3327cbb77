import type { Config, Logger } from "#kernel";
import type { NotificationSender } from "../ports/notification-sender.js";
import { SmtpNotificationSender } from "./smtp-notification.sender.js";
import { FolderNotificationSender } from "./folder-notification.sender.js";
import { LogNotificationSender } from "./log-notification.sender.js";

/** SMTP when SMTP_URL is set, else a folder of files when NOTIFICATIONS_DIR is, else the log. */
export function openNotificationSender(settings: Config["notifications"], logger: Logger): NotificationSender {
  if (settings.smtpUrl) return new SmtpNotificationSender(settings.smtpUrl, settings.from);
  if (settings.dir) return new FolderNotificationSender(settings.dir, settings.from);
  return new LogNotificationSender(logger);
}
