// What planning costs a statement of the money path, measured on one: the payment claim that
// starts the first charge call (a statement of CTEs over the hash-partitioned Payment, Order and
// PaymentAttempt tables). The statement the payments store sends, sent three ways on one
// connection, alternately in blocks, with the backend's CPU (/proc) per claim:
// - unnamed, as `queryDirect` sends every statement: parsed and planned at every call;
// - named (a prepared statement), `plan_cache_mode` auto: parsed once, a plan per call while the
//   planner finds a custom plan cheaper than the generic one;
// - named, `force_generic_plan`: one plan per connection, its partitions pruned at execution.
// On a fresh migrated database with 50,000 placed orders and payments of 5,000 customers
// (analysed), so the planner chooses as it would for a store with customers.
//
//   npx tsx bench/payment-claim-plans.ts [--rounds 7] [--block 150]
//
// Engine: DATABASE_URL's server (`eval "$(scripts/services.sh env)"`), a fresh database dropped
// afterwards.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { newEvent, PaymentEventTypes } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { createPrismaPaymentStore } from "../subgraphs/payments/src/adapters/prisma-payment.store.js";
import { applyMigrations } from "../scripts/migrate/apply-migrations.js";
import { fillWithPaidOrders, placePendingPayment } from "./harness/payments-beside.js";
import { createScratchDatabase } from "./harness/scratch-database.js";
import { watchQueriesDuring, type SentQuery } from "../test/support/sent-queries.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "7" }, block: { type: "string", default: "150" } } });
const ROUNDS = Number(args.rounds);
const BLOCK = Number(args.block);

const scratch = await createScratchDatabase();
const url = scratch.url;
const prisma = createPrismaClient(url, { poolSize: 1 });
const client = new pg.Client({ connectionString: url });
try {
  await applyMigrations(url);
  await client.connect();
  const { pid } = (await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]!;
  const backendTicks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(fields[11]) + Number(fields[12]);
  };
  await fillWithPaidOrders(client);

  const placed = () => placePendingPayment(client);

  // The claim's statement as the store sends it, then its values for each new payment.
  const model = await placed();
  const modelEvent = newEvent(PaymentEventTypes.requested, model.orderId, model);
  const sent: SentQuery[] = [];
  await watchQueriesDuring(() => createPrismaPaymentStore(prisma).claimForRequest("payments", modelEvent, model, { owner: "bench", ms: 60_000 }), (query) => sent.push(query));
  const claim = sent.find((query) => query.text.includes('"ProcessedEvent"'))!;
  const valuesFor = (payment: Awaited<ReturnType<typeof placed>>) =>
    claim.values!.map((value) => {
      if (value === modelEvent.id) return randomUUID();
      if (typeof value !== "string") return value;
      return value.replace(model.paymentId, payment.paymentId).replace(model.orderId, payment.orderId).replace(model.userId, payment.userId);
    });

  const ways: { way: string; planCacheMode: string; send: (values: unknown[]) => Promise<pg.QueryResult> }[] = [
    { way: "unnamed (as queryDirect sends it)", planCacheMode: "auto", send: (values) => client.query(claim.text, values) },
    { way: "named, plan_cache_mode auto", planCacheMode: "auto", send: (values) => client.query({ name: "claim-auto", text: claim.text, values }) },
    { way: "named, force_generic_plan", planCacheMode: "force_generic_plan", send: (values) => client.query({ name: "claim-generic", text: claim.text, values }) },
  ];
  const totals = new Map(ways.map(({ way }) => [way, { backend: 0, n: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    // Each way goes first in turn; the first round warms every way up and is not counted.
    for (let k = 0; k < ways.length; k++) {
      const { way, planCacheMode, send } = ways[(k + round) % ways.length]!;
      const payments = [];
      for (let i = 0; i < BLOCK; i++) payments.push(await placed());
      await client.query(`SET plan_cache_mode = ${planCacheMode}`);
      const ticks = backendTicks();
      for (const payment of payments) {
        const { rows } = await send(valuesFor(payment));
        if (!rows.some((row: { source: string; starting: boolean }) => row.source === "claimed" && row.starting)) throw new Error(`${way}: the claim started no call`);
      }
      if (round === 0) continue;
      const total = totals.get(way)!;
      total.backend += (backendTicks() - ticks) * 10;
      total.n += BLOCK;
    }
  }
  console.log(`${ROUNDS - 1} counted rounds of ${BLOCK} claims each way, one connection on PostgreSQL, 50,000 payments beside`);
  for (const [way, t] of totals) console.log(`${way}: backend ${(t.backend / t.n).toFixed(3)} ms per claim`);
} finally {
  await client.end().catch(() => undefined);
  await prisma.$disconnect();
  await scratch.drop();
}
