import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { loopbackHostCheck, startAnchoredClock, startSubgraphServer, subgraphReadiness, type Config, type Platform, type RunningServer } from "#kernel";
import { createPrismaClient, readDatabaseClock, startOutboxRelay, type PrismaClient } from "#kernel/relational";
import { createPaymentsSchema } from "./subgraph.js";
import { createPaymentsContext } from "./subgraph-context.js";
import { createPaymentService, type PaymentService } from "./domain/payment.service.js";
import { createPaymentProcessor, type PaymentProcessor } from "./domain/payment-processor.js";
import { createLateCaptureSweep, LATE_CAPTURE_LOOKBACK_MS, type LateCaptureSweep } from "./domain/late-capture-sweep.js";
import { createPrismaPaymentStore } from "./adapters/prisma-payment.store.js";
import { HttpPaymentProvider } from "./adapters/http-payment-provider.js";
import type { PaymentProvider } from "./ports/payment-provider.js";
import type { PaymentStore } from "./ports/payment-store.js";

export interface PaymentsSubgraphOptions {
  port?: number;
  /** Base URL of the payment provider; the one-process mode passes its simulator's. */
  providerUrl?: string;
  /** A Prisma client shared with other subgraphs of this process; one is opened otherwise. */
  prisma?: PrismaClient;
  /** The process's one outbox relay; without it the subgraph starts its own. */
  outbox?: { nudge(): void };
  /** The consumer group on the payments topic (tests sharing one bus give each their own). */
  group?: string;
}

export interface RunningPayments extends RunningServer {
  service: PaymentService;
  processor: PaymentProcessor;
  /** Refunds money the provider captured after its payment had failed. */
  lateCaptures: LateCaptureSweep;
  store: PaymentStore;
}

/**
 * A claim must outlive one provider call and the backoff after it (each attempt renews it),
 * or a healthy but slow process would lose payments to the recovery sweep.
 */
export const leaseMsFor = (payments: Config["payments"]) => payments.providerTimeoutMs + payments.retryMaxMs + 5_000;

/**
 * Starts the payments subgraph on the platform: store, provider adapter, the payment
 * processor (consumer group `payments` plus the recovery sweep) and the server that adds
 * `Order.payment` to the supergraph.
 */
export async function startPaymentsSubgraph(platform: Platform, options: PaymentsSubgraphOptions = {}): Promise<RunningPayments> {
  const { config, bus } = platform;
  const settings = config.payments;
  const logger = platform.logger.child({ subgraph: "payments" });
  const providerUrl = options.providerUrl ?? settings.providerUrl;
  if (!providerUrl) throw new Error("The payments subgraph needs a payment provider: set PAYMENT_PROVIDER_URL");
  const prisma = options.prisma ?? createPrismaClient(platform.databaseUrl);
  const ownRelay = options.outbox ? undefined : startOutboxRelay({ prisma, bus, logger, retention: { processedEventsMs: platform.config.events.redeliveryWindowMs } });
  const outbox = options.outbox ?? ownRelay!;
  const provider: PaymentProvider = new HttpPaymentProvider({ baseUrl: providerUrl, timeoutMs: settings.providerTimeoutMs });
  const store = createPrismaPaymentStore(prisma, { firstCallWithinMs: settings.retryForMs });
  // A payment's age and its last call's end are stamped by the database (and by the orders
  // process that placed it): judged by this host's clock, one running ahead gave up on a
  // payment seconds old, or believed the provider's "no charge" before its search could show one.
  const clock = await startAnchoredClock({ reference: () => readDatabaseClock(prisma), logger });
  const service = createPaymentService({
    store,
    provider,
    clock: () => clock.now().getTime(),
    retry: { maxAttempts: settings.maxAttempts, baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs },
    patience: { retryForMs: settings.retryForMs, searchLagMs: settings.providerSearchLagMs },
    logger,
    onEventsWritten: () => outbox.nudge(),
  });
  const processor = createPaymentProcessor({
    bus,
    store,
    service,
    logger,
    concurrency: settings.concurrency,
    leaseMs: leaseMsFor(settings),
    recoveryAfterMs: settings.recoveryAfterMs,
    recoveryIntervalMs: settings.recoveryIntervalMs,
    group: options.group,
  });
  // Every recovery interval, as the recovery sweep; replicas running it at once refund nothing twice.
  const lateCaptures = createLateCaptureSweep({
    store,
    provider,
    logger,
    lease: { owner: `${hostname()}:${process.pid}:late-capture:${randomUUID().slice(0, 8)}`, ms: leaseMsFor(settings) },
    schedule: { firstAfterMs: settings.providerSearchLagMs, lookbackMs: LATE_CAPTURE_LOOKBACK_MS },
    intervalMs: settings.recoveryIntervalMs,
  });

  let server: RunningServer | undefined;
  const close = async () => {
    await server?.close();
    await processor.stop();
    await lateCaptures.stop();
    await ownRelay?.stop();
    await provider.close();
    clock.stop();
    if (!options.prisma) await prisma.$disconnect();
  };
  try {
    await processor.start();
    lateCaptures.start();
    server = await startSubgraphServer({
      name: "payments",
      schema: createPaymentsSchema(),
      internalSecret: config.auth.internalSecret,
      logger,
      extendContext: (base) => createPaymentsContext(base, service),
      port: options.port ?? config.subgraphPorts.payments,
      host: config.host,
      acceptsHost: loopbackHostCheck(config),
      readiness: subgraphReadiness(platform, { needs: ["relational"] }),
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { ...server, service, processor, lateCaptures, store, close };
}
