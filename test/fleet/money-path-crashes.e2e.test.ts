// The processes that do the money work (orders, payments, inventory: one of each, so a kill
// stops all of that work) are killed -9 under checkout load at moments chosen by what the
// engines show (orders placed, a charge the provider executed whose answer its caller has not
// recorded, holds taken), the Redis the stock mirror lives on is flushed and restarted,
// and the broker is killed mid-stream; then the money and the stock are audited from
// PostgreSQL, Redis and the provider's ledger.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import pg from "pg";
import { createLogger, issueAccessToken, type Logger } from "#kernel";
import { describeWithRealEngine, realEngineUrl, waitFor } from "#kernel/testing";
import { DEFAULT_FLEET, type FleetOptions } from "../../platform/fleet/fleet-plan.js";
import { startFleet, type RunningFleet } from "../../platform/fleet/start-fleet.js";
import { startPaymentSimulator, TEST_PAYMENT_METHODS, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { createTestDatabase } from "../support/test-database.js";
import { postGraphQL } from "../support/graphql-client.js";
import { CHECKOUT, CHECKOUT_PAYING_WITH, startFleetLoad, type FleetLoadReport } from "../support/fleet-client-load.js";
import { startHeldProviderCharges, type HeldProviderCharges } from "../support/held-provider-charges.js";
import { auditMoneyPath, stockTotals } from "../support/money-path-audit.js";
import { freePortRange, startPrivateKafka, startPrivateRedis, type PrivateEngine } from "../support/private-engines.js";

const SUITE = "money path: the processes doing the money work killed -9 at chosen moments, the stock mirror's Redis flushed and restarted, the broker killed mid-stream";
const SHARED_ENGINES = ["DATABASE_URL", "KAFKA_BROKERS", "MONGO_URL"] as const;
const missing = SHARED_ENGINES.find((variable) => realEngineUrl(variable) === undefined);
const MONEY_WORKERS = ["orders-1", "payments-1", "inventory-1"];
/** Rounds of kills, each at later counts than the one before. */
const ROUNDS = 3;
const FLASH_UNITS = 5;
const FLASH_SHOPPERS = 16;
const auth = { secret: "crash-test-jwt-secret-0123456789ab", issuer: "storefront" };

// Redis and Kafka are this run's own (they are flushed, killed and started again), Kafka from the
// jars `scripts/services.sh up kafka` fetched (KAFKA_BROKERS set says it ran); PostgreSQL and
// MongoDB are the shared engines, under databases of this run's.
if (missing) describeWithRealEngine({ suite: SUITE, engine: "postgresql+kafka+mongodb", variable: missing }, () => {});
else
  describe(SUITE, { timeout: 1_200_000 }, () => {
    const run = randomUUID().replaceAll("-", "").slice(0, 10);
    let fleet: RunningFleet;
    let simulator: RunningPaymentSimulator;
    let provider: HeldProviderCharges;
    let redis: PrivateEngine;
    let kafka: PrivateEngine;
    let database: { url: string; drop(): Promise<void> };
    let db: pg.Client;
    let mongoUrl: string;
    let productIds: string[];
    const logger: Logger = createLogger("warn", { service: "crash-test" });
    const gateway = () => fleet.plan.gatewayUrls[0]!;

    before(async () => {
      database = await createTestDatabase("real");
      db = new pg.Client({ connectionString: database.url });
      await db.connect();
      [redis, kafka] = await Promise.all([startPrivateRedis(), startPrivateKafka()]);
      simulator = await startPaymentSimulator({ latencyMs: 20 });
      provider = await startHeldProviderCharges(simulator.url);
      const mongo = new URL(realEngineUrl("MONGO_URL")!);
      mongo.pathname = `/crash_${run}`;
      mongoUrl = mongo.toString();
      const options: FleetOptions = {
        ...DEFAULT_FLEET,
        basePort: await freePortRange(10),
        replicas: { ...DEFAULT_FLEET.replicas, gateway: 1, products: 1, inventory: 1, orders: 1, payments: 1, cart: 1, search: 1, accounts: 1, notifications: 0, "payment-simulator": 0 },
      };
      fleet = await startFleet({
        options,
        logDir: mkdtempSync(join(tmpdir(), "crash-fleet-logs-")),
        logger,
        env: {
          PATH: process.env.PATH,
          APP_ENV: "test",
          LOG_LEVEL: "warn",
          DATABASE_URL: database.url,
          MONGO_URL: mongoUrl,
          REDIS_URL: redis.url,
          KAFKA_BROKERS: kafka.url,
          JWT_SECRET: auth.secret,
          PAYMENT_PROVIDER_URL: provider.url,
          SEED_PRODUCTS: "12",
          RATE_LIMIT_PER_MINUTE: "1000000",
          RATE_LIMIT_COST_PER_MINUTE: "1000000000",
          RATE_LIMIT_CHECKOUT_PER_MINUTE: "1000000",
          GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
          GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
          // The nets under a crash, brought into the test's minutes: a charge cut off is driven
          // again, an order whose outcome was lost is reconciled from its payment.
          PAYMENT_RECOVERY_AFTER_MS: "8000",
          PAYMENT_RECOVERY_INTERVAL_MS: "2000",
          ORDER_RECONCILE_AFTER_MS: "20000",
          ORDER_RECONCILE_INTERVAL_MS: "3000",
        },
        readyTimeoutMs: 300_000,
      });
      const listing = await postGraphQL<{ products: { edges: { node: { id: string } }[] } }>(gateway(), `{ products(first: 6) { edges { node { id } } } }`);
      productIds = listing.data!.products.edges.map((edge) => edge.node.id);
      assert.equal(productIds.length, 6, JSON.stringify(listing.errors));
      for (const id of productIds) await restock(id, 2_000);
    });

    after(async () => {
      await db?.end();
      await fleet?.stop();
      await provider?.close();
      await simulator?.close();
      await redis?.close();
      await kafka?.close();
      await database?.drop();
      if (mongoUrl) {
        const client = await MongoClient.connect(mongoUrl);
        await client.db().dropDatabase().catch(() => undefined);
        await client.close();
      }
    });

    const adminToken = () => issueAccessToken(auth, { userId: `crash-admin-${run}`, roles: ["admin"] });

    async function restock(productId: string, quantity: number): Promise<void> {
      const restocked = await postGraphQL(gateway(), `mutation($id: ID!, $q: Int!, $key: String!) { restock(productId: $id, quantity: $q, idempotencyKey: $key) { available } }`, { id: productId, q: quantity, key: randomUUID() }, { token: await adminToken() });
      assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
    }

    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    const ordersPlaced = () => count(`SELECT count(*) AS n FROM "Order"`);
    const holdsTaken = () => count(`SELECT count(*) AS n FROM "Reservation"`);
    /** Payments settled whose order has not heard of it yet. */
    const outcomesNotApplied = () =>
      count(`SELECT count(*) AS n FROM "Payment" p JOIN "Order" o ON o.id = p."orderId" AND o."userId" = p."userId" WHERE p.status IN ('SUCCEEDED', 'FAILED') AND o.status = 'PENDING'`);

    /** Kills the named processes at once and waits until each is restarted and answers again. */
    async function crash(names: string[]): Promise<void> {
      const restartsBefore = names.map((name) => fleet.supervisor.processes.get(name)!.restarts);
      for (const name of names) fleet.supervisor.kill(name, "SIGKILL");
      for (const [i, name] of names.entries()) {
        await waitFor(`the supervisor restarts ${name}`, () => fleet.supervisor.processes.get(name)!.restarts > restartsBefore[i]!, { timeoutMs: 30_000 });
        await fleet.waitHealthy(name, 180_000);
      }
    }

    /**
     * A customer's checkout, sent again under its key while the store answers that it is
     * unavailable (a process restarting): the order, or the refusal's code.
     */
    async function checkoutAnswered(key: string, userId: string, paymentMethod?: string): Promise<{ orderId?: string; code?: string }> {
      const deadline = Date.now() + 180_000;
      for (;;) {
        let code: string;
        try {
          // Signed anew each try, as a client renews its token: one signed before the store of
          // ended sessions lost its data is refused (see gateway/src/auth/session-revocations.ts).
          const token = await issueAccessToken(auth, { userId, roles: ["customer"] });
          const answer = paymentMethod
            ? await postGraphQL<{ checkout: { id: string } }>(gateway(), CHECKOUT_PAYING_WITH, { key, paymentMethod }, { token })
            : await postGraphQL<{ checkout: { id: string } }>(gateway(), CHECKOUT, { key }, { token });
          if (answer.data?.checkout) return { orderId: answer.data.checkout.id };
          code = String(answer.errors?.[0]?.extensions?.code ?? "no code");
          // UNAUTHENTICATED: signed the second before the loss was noticed; the next try's token is newer.
          if (!["SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "UNAUTHENTICATED"].includes(code)) return { code };
        } catch (error) {
          code = String(error);
        }
        if (Date.now() > deadline) return { code };
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    /** Progress the load must make after a crash: the survivors (and the restarted) take checkouts again. */
    const moreAccepted = (report: FleetLoadReport, atLeast: number, what: string) => {
      const from = report.accepted.length;
      return waitFor(`${atLeast} more checkouts accepted ${what}`, () => report.accepted.length >= from + atLeast, { timeoutMs: 240_000 });
    };

    it("every accepted checkout ends PAID with one capture or declined with none, its stock sold or back, and a retry under its key finds the same order, across kills of orders, payments, inventory, Redis and Kafka", async () => {
      const initial = await stockTotals(database.url, productIds);
      // Every fourth checkout pays with a card the issuer declines: declines put units back.
      const load = startFleetLoad({
        gatewayUrls: fleet.plan.gatewayUrls,
        auth,
        productIds,
        browsers: 1,
        shoppers: 3,
        shopperPauseMs: 50,
        requestDeadlineMs: 240_000,
        paymentMethodOf: (_shopper, i) => (i % 4 === 3 ? TEST_PAYMENT_METHODS.declined : undefined),
      });
      const phases: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          // Orders killed once orders are being placed: checkouts under way lose their answer.
          const placed = await ordersPlaced();
          await waitFor(`${2 + round} more orders placed`, async () => (await ordersPlaced()) >= placed + 2 + round, { timeoutMs: 240_000 });
          await crash(["orders-1"]);
          phases.push(`orders killed at ${await ordersPlaced()} orders`);
          await moreAccepted(load.report, 3, "after orders restarted");

          // Payments killed while charges are on their way: executed at the provider with their
          // answers unread, then (the other leg) sent and not yet arrived.
          for (const leg of ["answers", "requests"] as const) {
            provider.hold(leg);
            await waitFor(`${1 + round} charges held at their ${leg}`, () => provider.held() >= 1 + round, { timeoutMs: 240_000 });
            phases.push(`payments killed with ${provider.held()} charges held at their ${leg}`);
            const restarts = fleet.supervisor.processes.get("payments-1")!.restarts;
            fleet.supervisor.kill("payments-1", "SIGKILL");
            await waitFor("payments-1 is gone", () => fleet.supervisor.processes.get("payments-1")!.restarts > restarts, { timeoutMs: 30_000 });
            // Answers go to a caller that is gone; requests reach the provider and execute anyway.
            provider.release();
            await fleet.waitHealthy("payments-1", 180_000);
            await moreAccepted(load.report, 3, "after payments restarted");
          }

          // Inventory killed once holds are being taken for the next checkouts.
          const holds = await holdsTaken();
          await waitFor(`${2 + round} more holds taken`, async () => (await holdsTaken()) >= holds + 2 + round, { timeoutMs: 240_000 });
          await crash(["inventory-1"]);
          phases.push(`inventory killed at ${await holdsTaken()} holds`);
          await moreAccepted(load.report, 3, "after inventory restarted");

          // The stock mirror emptied under load: FLUSHALL, or its Redis killed and started empty.
          if (round % 2 === 0) {
            const flusher = new Redis(redis.url);
            await flusher.flushall();
            flusher.disconnect();
            phases.push(`Redis flushed at ${await ordersPlaced()} orders`);
          } else {
            await redis.crash();
            await redis.start();
            phases.push(`Redis restarted at ${await ordersPlaced()} orders`);
          }
          await moreAccepted(load.report, 3, "after Redis lost the mirror");

          // The broker killed mid-stream: checkouts go on into the outbox, then the broker comes
          // back; each round keeps it down for more orders (its clients' retries run out in time).
          const beforeBroker = await ordersPlaced();
          const whileDown = 3 + 60 * round;
          await kafka.crash();
          await waitFor(`${whileDown} orders placed with the broker down`, async () => (await ordersPlaced()) >= beforeBroker + whileDown, { timeoutMs: 240_000 });
          phases.push(`Kafka killed at ${beforeBroker} orders, started at ${await ordersPlaced()}`);
          // Payments drove the charges meanwhile (its recovery sweep): their outcomes wait in its
          // outbox. Orders is killed once it has applied some of that backlog, mid-drain.
          const backlog = await outcomesNotApplied();
          await kafka.start();
          await waitFor("orders applies outcomes from the backlog", async () => backlog === 0 || (await outcomesNotApplied()) < backlog, { timeoutMs: 240_000 });
          phases.push(`orders killed draining a backlog of ${backlog} outcomes, ${await outcomesNotApplied()} left`);
          await crash(["orders-1"]);
          await moreAccepted(load.report, 3, "after Kafka restarted");

          // All three money processes at once, with checkouts and charges under way.
          const before = await ordersPlaced();
          await waitFor("2 more orders placed", async () => (await ordersPlaced()) >= before + 2, { timeoutMs: 240_000 });
          await crash(MONEY_WORKERS);
          phases.push(`orders, payments and inventory killed at ${await ordersPlaced()} orders`);
          await moreAccepted(load.report, 3, "after all three restarted");
        }
      } finally {
        provider.release();
      }
      const report = await load.stop();

      // The customer clicks again after the crash, under the same key: the same order, whatever
      // the first try was told; a checkout whose client gave up finds the order it made, if any.
      const accepted = [...report.accepted];
      for (const failed of report.failedCheckouts) {
        const again = await checkoutAnswered(failed.key, failed.userId, failed.paymentMethod);
        if (again.orderId) accepted.push({ ...failed, orderId: again.orderId });
      }
      const audit = await auditMoneyPath({
        databaseUrl: database.url,
        redisUrl: redis.url,
        provider: simulator,
        orderIds: accepted.map((order) => order.orderId),
        userIds: [...report.accepted, ...report.failedCheckouts].map((shopper) => shopper.userId),
        productIds,
        initial,
        settleTimeoutMs: 240_000,
      });
      const capturesBefore = simulator.ledger().charges.length;
      const retried = await Promise.all(accepted.map(async (order) => ({ order, again: await checkoutAnswered(order.key, order.userId, order.paymentMethod) })));
      const differentOrders = retried.filter(({ order, again }) => again.orderId !== order.orderId).map(({ order, again }) => ({ key: order.key, was: order.orderId, now: again }));
      const summary = JSON.stringify({ phases, accepted: accepted.length, statuses: audit.statuses, settledAfterMs: audit.settledAfterMs, failedCheckouts: report.failedCheckouts.length, retriedCheckouts: report.retriedCheckouts, errors: report.errorsByKind });
      logger.warn("money path crash figures", JSON.parse(summary));
      assert.ok(accepted.length >= 20, `enough checkouts to mean something: ${summary}`);
      assert.ok((audit.statuses.PAYMENT_FAILED ?? 0) >= 3 && (audit.statuses.PAID ?? 0) >= 10, `both outcomes met: ${summary}`);
      assert.deepEqual(audit.violations, [], summary);
      assert.deepEqual(differentOrders, [], "a retry under the key finds its order");
      assert.equal(simulator.ledger().charges.length, capturesBefore, "retries after the crash charge nothing");
    });

    it("a flash sale of 5 units to 16 shoppers with Redis flushed and then restarted under it: 5 sold, every other shopper refused OUT_OF_STOCK, stock and mirror right", async () => {
      const created = await postGraphQL<{ createProduct: { id: string } }>(
        gateway(),
        `mutation($sku: String!) { createProduct(input: { sku: $sku, name: "Flash sale lamp", description: "d", priceAmount: 900, category: "books", brand: "b" }) { id } }`,
        { sku: `FLASH-${run}`.toUpperCase() },
        { token: await adminToken() },
      );
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
      const flash = created.data!.createProduct.id;
      await restock(flash, FLASH_UNITS);
      const initial = await stockTotals(database.url, [flash]);
      const shoppers = await Promise.all(
        Array.from({ length: FLASH_SHOPPERS }, async (_, i) => {
          const userId = `crash-flash-${i}-${run}`;
          const token = await issueAccessToken(auth, { userId, roles: ["customer"] });
          const added = await postGraphQL(gateway(), `mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { totalQuantity } }`, { id: flash }, { token });
          assert.equal(added.errors, undefined, JSON.stringify(added.errors));
          return { userId, token, key: `flash-${i}-${run}` };
        }),
      );
      const half = FLASH_SHOPPERS / 2;
      const first = shoppers.slice(0, half).map((shopper) => checkoutAnswered(shopper.key, shopper.userId));
      // Flushed once the first wave's checkouts are placing orders; restarted empty before the second wave.
      await waitFor("the first wave places an order", async () => (await count(`SELECT count(*) AS n FROM "Order" WHERE "userId" LIKE 'crash-flash-%'`)) >= 1, { timeoutMs: 120_000 });
      const flusher = new Redis(redis.url);
      await flusher.flushall();
      flusher.disconnect();
      const second = shoppers.slice(half).map((shopper, i) => (async () => {
        if (i === half / 2) {
          await redis.crash();
          await redis.start();
        }
        return checkoutAnswered(shopper.key, shopper.userId);
      })());
      const answers = await Promise.all([...first, ...second]);
      const sold = answers.filter((answer) => answer.orderId);
      const refusals = answers.filter((answer) => !answer.orderId).map((answer) => answer.code);
      assert.equal(sold.length, FLASH_UNITS, JSON.stringify(answers));
      assert.deepEqual(refusals, Array.from({ length: FLASH_SHOPPERS - FLASH_UNITS }, () => "OUT_OF_STOCK"));
      const audit = await auditMoneyPath({
        databaseUrl: database.url,
        redisUrl: redis.url,
        provider: simulator,
        orderIds: sold.map((answer) => answer.orderId!),
        userIds: shoppers.map((shopper) => shopper.userId),
        productIds: [flash],
        initial,
        settleTimeoutMs: 180_000,
      });
      assert.deepEqual(audit.violations, []);
      assert.deepEqual(audit.statuses, { PAID: FLASH_UNITS });
      const { rows: after } = await db.query<{ available: number }>(`SELECT available FROM "StockLevel" WHERE "productId" = $1`, [flash]);
      assert.equal(after[0]!.available, 0);
    });
  });
