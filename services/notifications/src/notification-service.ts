import { Topics, type Platform, type Subscription } from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createNotificationDispatcher, NOTIFICATIONS_CONSUMER } from "./domain/notification-dispatcher.js";
import { createPrismaDeliveryLog } from "./adapters/prisma-delivery.log.js";
import { EmbeddedRecipientDirectory } from "./adapters/embedded-recipient.directory.js";
import { openNotificationSender } from "./adapters/open-notification-sender.js";
import type { NotificationSender } from "./ports/notification-sender.js";
import type { RecipientDirectory } from "./ports/recipient-directory.js";

export interface NotificationServiceOptions {
  /** Overrides the sender chosen from configuration (tests record or fail sends with it). */
  sender?: NotificationSender;
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
 * Starts the notification service: consumes order status changes and payment events in its
 * own consumer group and sends the customer's messages through the configured sender.
 */
export async function startNotificationService(platform: Platform, options: NotificationServiceOptions = {}): Promise<RunningNotifications> {
  const { config, bus } = platform;
  const logger = platform.logger.child({ service: "notifications" });
  const settings = config.notifications;
  const sender = options.sender ?? openNotificationSender(settings, logger);
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl, { poolSize: 4 });
  const dispatcher = createNotificationDispatcher({
    sender,
    directory: options.directory ?? new EmbeddedRecipientDirectory(),
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
    if (!options.prisma) await prisma.$disconnect();
  };
  try {
    for (const topic of [Topics.orderStatusChanged, Topics.payments]) {
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
