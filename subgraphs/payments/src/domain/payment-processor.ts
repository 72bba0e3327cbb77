import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setMaxListeners } from "node:events";
import { PaymentEventTypes, Topics, withDeadLetter, type DomainEvent, type EventBus, type Logger, type RefundRequestedPayload, type Subscription } from "#kernel";
import type { Payment } from "./payment.js";
import type { PaymentService } from "./payment.service.js";
import type { EventClaim, Lease, PaymentStore, StartedAttempt } from "../ports/payment-store.js";

export const PAYMENTS_CONSUMER = "payments";

export interface PaymentProcessorOptions {
  bus: EventBus;
  store: PaymentStore;
  service: PaymentService;
  logger: Logger;
  /** Payments driven at once by this process; further events wait for a free slot. */
  concurrency: number;
  /** How long a claim holds a payment without renewal: more than one call plus one backoff. */
  leaseMs: number;
  /** A payment needing work and untouched this long (with a free lease) is re-driven. */
  recoveryAfterMs: number;
  recoveryIntervalMs: number;
  /** The consumer group; tests running side by side on one bus give each their own. */
  group?: string;
}

/**
 * Consumes PaymentRequested and RefundRequested (group `payments`) without holding the
 * partition while a provider is slow: the handler only claims the payment (in the
 * transaction that records the event as processed, which also starts a never-called
 * payment's first charge call) and drives it in the background, so the
 * payment stays PENDING while retries run and the next event is read at once. A bounded
 * number of drives run at a time; past that the handler waits (backpressure).
 *
 * A process that dies mid-drive leaves a PENDING payment with an expired lease; the recovery
 * sweep finds it and drives it again with the same idempotency key, so the provider charges
 * once. A malformed or unknown-payment event fails repeatedly and goes to the dead-letter topic.
 */
export function createPaymentProcessor(options: PaymentProcessorOptions) {
  const { bus, store, service, logger } = options;
  const group = options.group ?? PAYMENTS_CONSUMER;
  const lease: Lease = { owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ms: options.leaseMs };
  const slots = new Slots(options.concurrency);
  const drives = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Every running drive listens for the shutdown; more than ten at once is the normal case.
  setMaxListeners(0, stopping.signal);
  let subscription: Subscription | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  /** Runs a claimed payment in the background; its slot frees when the drive ends. */
  function launch(payment: Payment, firstCharge?: StartedAttempt): void {
    const drive = service
      .drive(payment, lease, stopping.signal, firstCharge)
      .catch((error: unknown) => logger.error("payment drive failed; the recovery sweep will resume it", { paymentId: payment.id, error: String(error) }))
      .finally(() => {
        drives.delete(drive);
        slots.release();
      });
    drives.add(drive);
  }

  async function claimThenLaunch(claiming: () => Promise<EventClaim>): Promise<void> {
    await slots.acquire(stopping.signal);
    let claim: EventClaim;
    try {
      claim = await claiming();
    } catch (error) {
      slots.release();
      throw error;
    }
    if (claim.kind === "claimed") launch(claim.payment, claim.firstCharge);
    else slots.release();
  }

  async function handle(event: DomainEvent): Promise<void> {
    if (event.type !== PaymentEventTypes.requested && event.type !== PaymentEventTypes.refundRequested) return;
    const payload = event.payload as (Partial<RefundRequestedPayload> & { userId?: unknown }) | null;
    const paymentId = typeof payload?.paymentId === "string" && payload.paymentId !== "" ? payload.paymentId : undefined;
    if (event.type === PaymentEventTypes.requested) {
      const orderId = typeof payload?.orderId === "string" ? payload.orderId : "";
      const userId = typeof payload?.userId === "string" && payload.userId !== "" ? payload.userId : undefined;
      if (!paymentId) throw new Error(`${event.type} ${event.id} has no paymentId`);
      await claimThenLaunch(() => store.claimForRequest(group, event, { paymentId, orderId, userId }, lease));
      return;
    }
    // A refund names its payment, or its order (the orders subgraph does not keep payment ids).
    const orderId = typeof payload?.orderId === "string" && payload.orderId !== "" ? payload.orderId : undefined;
    if (!paymentId && !orderId) throw new Error(`${event.type} ${event.id} names neither a payment nor an order`);
    const amount = payload?.amount;
    if (amount !== undefined && !(Number.isSafeInteger(amount) && amount > 0)) throw new Error(`${event.type} ${event.id} has an invalid amount`);
    if (payload?.refundId !== undefined && (typeof payload.refundId !== "string" || payload.refundId === "")) throw new Error(`${event.type} ${event.id} has an invalid refundId`);
    await claimThenLaunch(() => store.claimForRefund(group, event, { paymentId, orderId: orderId ?? "", refundId: payload?.refundId, amount }, lease));
  }

  async function sweep(): Promise<void> {
    const keys = await store.findStalled(options.recoveryAfterMs, Math.max(1, slots.free()));
    for (const key of keys) {
      if (stopping.signal.aborted || !slots.tryAcquire()) return;
      const payment = await store.claim(key, lease).catch(() => null);
      if (!payment) {
        slots.release();
        continue;
      }
      logger.warn("resuming a stalled payment", { paymentId: key.id, orderId: payment.orderId, attempts: payment.attempts });
      launch(payment);
    }
  }

  /** One sweep at a time; a failed sweep (database down) is logged and tried next interval. */
  function sweepOnce(): Promise<void> {
    sweeping ??= sweep()
      .catch((error: unknown) => logger.warn("payment recovery sweep failed", { error: String(error) }))
      .finally(() => (sweeping = undefined));
    return sweeping;
  }

  return {
    /** The event handler, also called directly by tests to deliver one event many times at once. */
    handle,
    sweepOnce,
    /** Resolves once no drive is running (tests wait on it after a burst). */
    async idle(): Promise<void> {
      while (drives.size > 0) await Promise.allSettled([...drives]);
    },
    async start(): Promise<void> {
      subscription = await bus.subscribe({
        topic: Topics.payments,
        group,
        start: "earliest",
        handle: withDeadLetter({ bus, topic: Topics.payments, consumer: group, logger }, handle),
      });
      sweepTimer = setInterval(() => void sweepOnce(), options.recoveryIntervalMs);
      sweepTimer.unref();
    },
    /** Stops consuming, interrupts drives (leaving their payments PENDING, leases released). */
    async stop(): Promise<void> {
      clearInterval(sweepTimer);
      stopping.abort();
      await subscription?.stop();
      await sweeping;
      await Promise.allSettled([...drives]);
    },
  };
}

export type PaymentProcessor = ReturnType<typeof createPaymentProcessor>;

/** A counting semaphore: at most `size` drives at once, waiters served in arrival order. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  free(): number {
    return this.size - this.used;
  }

  tryAcquire(): boolean {
    if (this.used >= this.size) return false;
    this.used += 1;
    return true;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new Error("The payment processor is stopping"));
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", cancel);
        resolve();
      };
      const cancel = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new Error("The payment processor is stopping"));
      };
      this.waiting.push(grant);
      signal.addEventListener("abort", cancel, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `used` stays as it is.
    if (next) next();
    else this.used -= 1;
  }
}
