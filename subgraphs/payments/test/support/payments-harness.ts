import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  deadLetterTopic,
  EmbeddedEventBus,
  EmbeddedKeyValueStore,
  loadConfig,
  newEvent,
  PaymentEventTypes,
  Topics,
  type DomainEvent,
  type EventBus,
  type PaymentRequestedPayload,
  type Subscription,
} from "#kernel";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../../../services/payment-simulator/src/index.js";
import { FolderNotificationSender, startNotificationService, SyntheticRecipientDirectory, type NotificationSender, type RunningNotifications } from "../../../../services/notifications/src/index.js";
import { startPaymentsSubgraph, type RunningPayments } from "../../src/payments-subgraph.js";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { NamespacedEventBus, platformOver } from "#kernel/testing";

export type BusEngine = { kind: "embedded" } | { kind: "kafka"; brokers: string };

export interface HarnessOptions {
  database: DatabaseEngine;
  bus: BusEngine;
  /** Replaces the folder sender (tests that make notifications fail). */
  sender?: NotificationSender;
  env?: Record<string, string>;
}

export interface TestPayment extends PaymentRequestedPayload {}

/**
 * The payments subgraph with everything it talks to, on a fresh database: the simulator as
 * provider, the event bus (embedded, or Kafka with topics of its own), the notification
 * service writing .eml files to a temporary folder, and recorders of the payments topic and
 * its dead-letter topic. Stands in for the orders subgraph by creating orders and payments
 * and publishing PaymentRequested itself.
 */
export async function openPaymentsHarness(options: HarnessOptions) {
  const database = await createTestDatabase(options.database);
  const runId = randomUUID().slice(0, 8);
  const rawBus: EventBus =
    options.bus.kind === "embedded"
      ? new EmbeddedEventBus({ maxBackoffMs: 20 })
      : new NamespacedEventBus(new KafkaEventBus({ brokers: options.bus.brokers.split(",").map((b) => b.trim()), clientId: `payments-test-${runId}`, maxBackoffMs: 50 }), `test-${runId}`);
  const notificationsDir = mkdtempSync(join(tmpdir(), "storefront-notifications-"));
  const config = loadConfig({
    APP_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATABASE_URL: database.url,
    PAYMENT_PROVIDER_TIMEOUT_MS: "1000",
    PAYMENT_MAX_ATTEMPTS: "4",
    PAYMENT_RETRY_BASE_MS: "20",
    PAYMENT_RETRY_MAX_MS: "200",
    PAYMENT_RECOVERY_AFTER_MS: "2000",
    // Sweeps run when a test calls sweepOnce(), so each one proves exactly what it says.
    PAYMENT_RECOVERY_INTERVAL_MS: "600000",
    NOTIFICATION_MAX_ATTEMPTS: "3",
    NOTIFICATION_RETRY_BASE_MS: "10",
    ...options.env,
  });
  const logger = createLogger(config.logLevel, { service: "payments-test" });
  const kv = new EmbeddedKeyValueStore();
  const platform = platformOver({ config, bus: rawBus, kv, logger, database: { url: database.url, engine: options.database }, closesEngines: true });
  // One small pool for the harness and the services under test: real PostgreSQL is shared
  // with every other test file running at the same time.
  const prisma: PrismaClient = createPrismaClient(database.url, { poolSize: 8 });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    await prisma.$disconnect();
    await platform.close();
    await database.drop();
    rmSync(notificationsDir, { recursive: true, force: true });
  };
  try {
    const recorded = { payments: [] as DomainEvent[], deadLetters: [] as DomainEvent[] };
    for (const [topic, into] of [
      [Topics.payments, recorded.payments],
      [deadLetterTopic(Topics.payments), recorded.deadLetters],
    ] as const) {
      const subscription: Subscription = await rawBus.subscribe({ topic, group: `observer-${runId}-${topic}`, start: "earliest", handle: async (event) => void into.push(event) });
      closers.push(() => subscription.stop());
    }
    const simulator: RunningPaymentSimulator = await startPaymentSimulator({ latencyMs: 2, hangMs: 5_000 });
    closers.push(simulator.close);
    const payments: RunningPayments = await startPaymentsSubgraph(platform, { port: 0, providerUrl: simulator.url, prisma });
    closers.push(payments.close);
    const notifications: RunningNotifications = await startNotificationService(platform, {
      sender: options.sender ?? new FolderNotificationSender(notificationsDir, config.notifications.from),
      // No accounts here: every payment's user is a customer at a synthetic address.
      directory: new SyntheticRecipientDirectory(),
      prisma,
    });
    closers.push(notifications.close);

    return {
      config,
      prisma,
      bus: rawBus,
      simulator,
      payments,
      recorded,
      notificationsDir,

      /** What checkout does: an order and its PENDING payment with the customer's payment method (no event yet). */
      async createPayment(overrides: Partial<Pick<TestPayment, "userId" | "amount" | "currency" | "paymentMethod">> = {}): Promise<TestPayment> {
        const payment: TestPayment = {
          paymentId: `pay_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
          orderId: `ord_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
          userId: overrides.userId ?? `user-${randomUUID().slice(0, 8)}`,
          amount: overrides.amount ?? 2599,
          currency: overrides.currency ?? "USD",
          ...(overrides.paymentMethod ? { paymentMethod: overrides.paymentMethod } : {}),
        };
        await prisma.orderLocator.create({ data: { id: payment.orderId, userId: payment.userId } });
        await prisma.order.create({
          data: { id: payment.orderId, userId: payment.userId, status: "PENDING", currency: payment.currency, totalAmount: payment.amount, subtotalAmount: payment.amount, idempotencyKey: randomUUID(), requestHash: "test", reservationId: "res_test" },
        });
        await prisma.payment.create({
          data: { id: payment.paymentId, orderId: payment.orderId, userId: payment.userId, status: "PENDING", amount: payment.amount, currency: payment.currency, attempts: 0, paymentMethod: overrides.paymentMethod ?? null },
        });
        return payment;
      },

      requestEvent: (payment: TestPayment) => newEvent<PaymentRequestedPayload>(PaymentEventTypes.requested, payment.orderId, { ...payment }),

      /** Publishes PaymentRequested as the orders outbox would; returns the event. */
      async requestPayment(payment: TestPayment): Promise<DomainEvent> {
        const event = newEvent<PaymentRequestedPayload>(PaymentEventTypes.requested, payment.orderId, { ...payment });
        await rawBus.publish(Topics.payments, [event]);
        return event;
      },

      paymentRow: (paymentId: string) => prisma.payment.findFirstOrThrow({ where: { id: paymentId } }),

      attempts: (paymentId: string) => prisma.paymentAttempt.findMany({ where: { paymentId }, orderBy: [{ kind: "asc" }, { number: "asc" }] }),

      /** Outcome events of one payment seen on the bus, by type. */
      outcomes: (paymentId: string, type: string) => recorded.payments.filter((e) => e.type === type && (e.payload as { paymentId?: string }).paymentId === paymentId),

      /** Outcome events of one payment written to the outbox (what the relay will publish). */
      outboxed: (paymentId: string) =>
        prisma.outboxEvent.findMany({ where: { topic: Topics.payments, payload: { path: ["paymentId"], equals: paymentId } }, orderBy: { occurredAt: "asc" } }),

      /** The .eml files written for one order, with their content. */
      notificationsFor(orderId: string): { file: string; content: string }[] {
        return readdirSync(notificationsDir)
          .filter((file) => file.endsWith(".eml") && readFileSync(join(notificationsDir, file), "utf8").includes(orderId))
          .map((file) => ({ file, content: readFileSync(join(notificationsDir, file), "utf8") }));
      },

      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export type PaymentsHarness = Awaited<ReturnType<typeof openPaymentsHarness>>;
