// What a transaction's round trips cost, apart from its statements: the PAID decision's shape
// (a claim with a row lock, then an update with an insert) sent as four round trips (BEGIN, the
// two statements, COMMIT) and as two (BEGIN with the first, COMMIT with the last, as
// inDirectTransaction sends them now), alternately in blocks on one connection, with node's CPU
// (this process) and the backend's CPU (/proc) per transaction. CPU time, not wall time: on a
// shared machine the figures hold whatever else runs, and both shapes share each moment's load.
//
//   npx tsx bench/transaction-round-trips.ts [--transactions 4000] [--block 200]
//
// Engine: DATABASE_URL's server (`eval "$(scripts/services.sh env)"`), a fresh database dropped
// afterwards.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createPrismaClient, inDirectTransaction, Prisma, queryDirect } from "#kernel/relational";
import { createScratchDatabase } from "./harness/scratch-database.js";
import { emptyTotals, measureBlock, perCall } from "./harness/block-cpu.js";

const { values: args } = parseArgs({ options: { transactions: { type: "string", default: "4000" }, block: { type: "string", default: "200" } } });
const TRANSACTIONS = Number(args.transactions);
const BLOCK = Number(args.block);

const scratch = await createScratchDatabase();
const prisma = createPrismaClient(scratch.url, { poolSize: 1 });
try {
  await queryDirect(prisma, Prisma.sql`CREATE TABLE probe_order (id text PRIMARY KEY, status text NOT NULL, "updatedAt" timestamp(3) NOT NULL)`);
  await queryDirect(prisma, Prisma.sql`CREATE TABLE probe_claim (id text PRIMARY KEY)`);
  await queryDirect(prisma, Prisma.sql`CREATE TABLE probe_history (id text PRIMARY KEY, "orderId" text NOT NULL, payload jsonb NOT NULL)`);
  const { pid } = (await queryDirect<{ pid: number }>(prisma, Prisma.sql`SELECT pg_backend_pid() AS pid`))[0]!;

  const claimAndLock = (orderId: string) => Prisma.sql`
    WITH fresh AS (INSERT INTO probe_claim (id) VALUES (${randomUUID()}) ON CONFLICT DO NOTHING RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, o.* FROM probe_order o WHERE o.id = ${orderId} FOR UPDATE`;
  const transition = (orderId: string) => Prisma.sql`
    WITH updated AS (UPDATE probe_order SET status = ${"PAID"}, "updatedAt" = ${new Date()}::timestamp(3) WHERE id = ${orderId} RETURNING *),
    history AS (INSERT INTO probe_history (id, "orderId", payload) VALUES (${randomUUID()}, ${orderId}, ${JSON.stringify({ to: "PAID", sold: [{ variantId: "v1", quantity: 2 }] })}::jsonb))
    SELECT * FROM updated`;

  const shapes = {
    "4 round trips": async (orderId: string) => {
      // The old inDirectTransaction: BEGIN and COMMIT each on their own.
      await inDirectTransaction(prisma, async (statement) => {
        await statement(Prisma.sql`SELECT 1`); // stands for the old separate BEGIN round trip
        await statement(claimAndLock(orderId));
        await statement(transition(orderId));
      });
    },
    "2 round trips": async (orderId: string) => {
      await inDirectTransaction(prisma, async (statement) => {
        await statement(claimAndLock(orderId));
        await statement(transition(orderId), { andCommit: true });
      });
    },
  };
  const totals = new Map(Object.keys(shapes).map((name) => [name, emptyTotals()]));
  const orders = Array.from({ length: 100 }, (_, i) => `ord_${i}`);
  for (const id of orders) await queryDirect(prisma, Prisma.sql`INSERT INTO probe_order (id, status, "updatedAt") VALUES (${id}, 'PENDING', now())`);
  for (let done = 0; done < TRANSACTIONS; done += BLOCK) {
    for (const [name, run] of Object.entries(shapes)) {
      await measureBlock(totals.get(name)!, pid, BLOCK, async () => {
        for (let i = 0; i < BLOCK; i++) await run(orders[i % orders.length]!);
      });
    }
  }
  console.log(`${TRANSACTIONS} transactions of each shape, alternating in blocks of ${BLOCK}, one connection on PostgreSQL`);
  console.log(`(the 4-round-trip shape sends SELECT 1 where BEGIN went alone: inDirectTransaction sends BEGIN with its first statement now)`);
  for (const [name, t] of totals) {
    console.log(perCall(name, t, "transaction"));
  }
} finally {
  await prisma.$disconnect();
  await scratch.drop();
}
