import { ACCOUNT_MAIL_SEAL, openSealedSecret, Topics, type Platform, type Subscription } from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createNotificationDispatcher, NOTIFICATIONS_CONSUMER } from "./domain/notification-dispatcher.js";
import { createPrismaDeliveryLog } from "./adapters/prisma-delivery.log.js";
import { createAccountsSubgraphRecipientDirectory } from "./adapters/accounts-subgraph-recipient.directory.js";
import { createRecipientLookup } from "./domain/recipient-lookup.js";
import { openNotificationSender } from "./adapters/open-notification-sender.js";
import type { NotificationSender } from "./ports/notification-sender.js";
import type { RecipientDirectory } from "./ports/recipient-directory.js";

export interface NotificationServiceOptions {
  /** Overrides the sender chosen from configuration (tests record or fail sends with it). */
  sender?: NotificationSender;
  /** Where customers' addresses come from; by default the accounts subgraph at ACCOUNTS_URL. */
  directory?: RecipientDirectory;
  /** A Prisma client shared with other services of this process; one is opened otherwise. */
  prisma?: PrismaClient;
  /** Prefix of the consumer groups, one per topic (tests sharing one bus give each their own). */
  group?: string;
}

export interface RunningNotifications {
  sender: NotificationSender;
  close(): Promise<void>;
}

/**
 * Starts the notification service: consumes order status changes, payment events and account
 * mail requests in its own consumer groups and sends each message to the address the
 * customer's account holds, through the configured sender.
 */
export async function startNotificationService(platform: Platform, options: NotificationServiceOptions = {}): Promise<RunningNotifications> {
  const { config, bus } = platform;
  const logger = platform.logger.child({ service: "notifications" });
  const settings = config.notifications;
  const sender = options.sender ?? openNotificationSender(settings, logger);
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl, { poolSize: 4 });
  const directory = options.directory ?? createAccountsSubgraphRecipientDirectory({ url: config.gateway.subgraphUrls.accounts, internalSecret: config.auth.internalSecret });
  const dispatcher = createNotificationDispatcher({
    sender,
    recipients: createRecipientLookup(directory, { ttlMs: settings.recipientCacheTtlMs }),
    accountLinks: {
      baseUrl: settings.accountLinkBaseUrl,
      openToken: (sealed) => openSealedSecret(config.auth.internalSecret, ACCOUNT_MAIL_SEAL, sealed),
    },
    deliveries: createPrismaDeliveryLog(prisma),
    bus,
    logger,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
  });
  const group = options.group ?? NOTIFICATIONS_CONSUMER;
  const subscriptions: Subscription[] = [];
  const close = async () => {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await sender.close();
    if (!options.directory) await directory.close?.();
    if (!options.prisma) await prisma.$disconnect();
  };
  try {
    for (const topic of [Topics.orderStatusChanged, Topics.payments, Topics.accountMail]) {
      // A group per topic: Kafka assigns a group's partitions over all its members whatever
      // topic each subscribed to, so one group across two topics would misroute events.
      subscriptions.push(await bus.subscribe({ topic, group: `${group}.${topic}`, start: "earliest", handle: dispatcher.handlerFor(topic) }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  logger.info("notification service started", { sender: sender.engine });
  return { sender, close };
}
