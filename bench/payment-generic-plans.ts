// What the payment's claim and settlement cost PostgreSQL as the payments store sends them
// (whichever way this checkout's code sends them), and the generic plan of each. On one
// connection a pool (poolSize 1), a fresh migrated database with 50,000 placed orders and
// payments of 5,000 customers beside (analysed), so the planner chooses as it would for a
// store with customers. Per payment: the claim that starts its first charge call, then its
// settlement with that call logged, as a checkout's payment goes. The CPU of the database's
// backends (/proc) the store's clients use, per payment, over rounds of blocks.
// Then each statement's generic plan (PREPARE, `force_generic_plan`, EXPLAIN EXECUTE with the
// values of one payment): what each partitioned table keeps after pruning, and how it is read.
//
//   npx tsx bench/payment-generic-plans.ts [--rounds 6] [--block 150] [--plans]
//
// Engine: DATABASE_URL's server (`eval "$(scripts/services.sh env)"`), a fresh database dropped
// afterwards.
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

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "6" }, block: { type: "string", default: "150" }, plans: { type: "boolean", default: false } } });
const ROUNDS = Number(args.rounds);
const BLOCK = Number(args.block);

const scratch = await createScratchDatabase();
const url = scratch.url;
const prisma = createPrismaClient(url, { poolSize: 1 });
const store = createPrismaPaymentStore(prisma);
const client = new pg.Client({ connectionString: url });
const lease = { owner: "bench", ms: 60_000 };
try {
  await applyMigrations(url);
  await client.connect();
  const own = (await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]!.pid;
  await fillWithPaidOrders(client);

  const placed = () => placePendingPayment(client);

  /** A checkout's payment: its claim starting the first charge call, then its settlement. */
  async function paid(payment: Awaited<ReturnType<typeof placed>>) {
    const claim = await store.claimForRequest("payments", newEvent(PaymentEventTypes.requested, payment.orderId, payment), payment, lease);
    if (claim.kind !== "claimed" || !claim.firstCharge || typeof claim.firstCharge !== "object") throw new Error(`the claim started no call: ${JSON.stringify(claim)}`);
    const key = { id: payment.paymentId, userId: payment.userId };
    const event = newEvent(PaymentEventTypes.confirmed, payment.orderId, { paymentId: payment.paymentId });
    const settled = await store.settleCharge(key, lease, { status: "SUCCEEDED", providerRef: `ref_${payment.paymentId}` }, event, { number: claim.firstCharge.number, outcome: "SUCCEEDED", detail: "ok" });
    if (settled?.status !== "SUCCEEDED") throw new Error("the settlement settled nothing");
  }

  const backendsTicks = async () => {
    const pids = (await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> $1`, [own])).rows.map((row) => row.pid);
    let ticks = 0;
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return { pids: pids.sort().join(","), ticks };
  };

  let backend = 0;
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const payments = [];
    for (let i = 0; i < BLOCK; i++) payments.push(await placed());
    // The first round warms the connections up (and prepares what is prepared) and is not counted.
    const before = await backendsTicks();
    for (const payment of payments) await paid(payment);
    const after = await backendsTicks();
    if (round === 0) continue;
    if (before.pids !== after.pids) throw new Error("a connection of the store was replaced during a block");
    backend += (after.ticks - before.ticks) * 10;
    n += BLOCK;
  }
  console.log(`${ROUNDS - 1} counted rounds of ${BLOCK} payments, one connection a pool, 50,000 payments beside`);
  console.log(`claim + settlement: backend ${(backend / n).toFixed(3)} ms per payment`);

  if (args.plans) {
    const sent: SentQuery[] = [];
    const payment = await placed();
    await watchQueriesDuring(() => paid(payment), (query) => sent.push(query));
    for (const [k, query] of sent.filter((q) => /"Payment"/.test(q.text)).entries()) {
      const literal = (value: unknown) => (value === null || value === undefined ? "NULL" : client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value)));
      await client.query(`PREPARE probe_${k} AS ${query.text}`);
      console.log(`\n${query.text.trim().split("\n")[0]!.slice(0, 90)}...`);
      // The generic plan in full; of the custom plan (this payment's values), how each table is read.
      for (const mode of ["force_generic_plan", "force_custom_plan"]) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        const plan = await client.query(`EXPLAIN (COSTS OFF) EXECUTE probe_${k}(${(query.values ?? []).map(literal).join(", ")})`);
        console.log(`-- ${mode}`);
        for (const row of plan.rows as { "QUERY PLAN": string }[]) if (mode === "force_generic_plan" || / Scan |Subplans/.test(row["QUERY PLAN"])) console.log(row["QUERY PLAN"]);
      }
    }
  }
} finally {
  await client.end().catch(() => undefined);
  await prisma.$disconnect();
  await scratch.drop();
}
