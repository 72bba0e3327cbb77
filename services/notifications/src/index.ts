// The notification service's public surface: add exports here with intention.
export { startNotificationService, type NotificationServiceOptions, type RunningNotifications } from "./notification-service.js";
export type { NotificationSender } from "./ports/notification-sender.js";
export type { Recipient, RecipientDirectory } from "./ports/recipient-directory.js";
export type { NotificationMessage, NotificationKind } from "./domain/notification.js";
export { FolderNotificationSender } from "./adapters/folder-notification.sender.js";
export { SmtpNotificationSender } from "./adapters/smtp-notification.sender.js";
export { CUSTOMER_MAIL_DOMAIN, SyntheticRecipientDirectory } from "./adapters/synthetic-recipient.directory.js";
export { createInProcessRecipientDirectory, type FindAccounts } from "./adapters/in-process-recipient.directory.js";
export { createAccountsSubgraphRecipientDirectory } from "./adapters/accounts-subgraph-recipient.directory.js";
