import { PrismaPg } from "@prisma/adapter-pg";
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { DATABASE_BOUNDS, type DatabaseBounds } from "../runtime/money-path-deadlines.js";
import { withLiterals } from "./literal-statement.js";
import { ProbingPool } from "./probing-pool.js";
import { Prisma, PrismaClient } from "../../../prisma/generated/client/client.js";

export type { PrismaClient } from "../../../prisma/generated/client/client.js";
export { Prisma } from "../../../prisma/generated/client/client.js";

const pools = new WeakMap<PrismaClient, pg.Pool>();
const genericPlanPools = new WeakMap<PrismaClient, pg.Pool>();
const boundsOfClient = new WeakMap<PrismaClient, DatabaseBounds>();

/** `timestamp` (without time zone) columns hold UTC here, as Prisma writes them. */
const TIMESTAMP_OID = 1114;
const utcTimestamps = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID ? (value: string) => new Date(`${value.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** How long a pooled connection nobody uses stays open (a burst's extra connections close after it). */
const IDLE_CONNECTION_MS = 60_000;

/**
 * One Prisma client over a pg pool; the pool (and, once `queryPrepared` sends a statement, a
 * second one of up to `poolSize` connections for those) is the only connection state a process holds.
 * Every wait on it is bounded (`bounds`, DATABASE_BOUNDS unless told): for a connection, for a
 * statement on the server, for its answer, and for an open transaction left idle. Unbounded,
 * a saturated pool or a slow database let a checkout place its order long after the window in
 * which other attempts of its key wait for it (see money-path-deadlines.ts). Past a bound the
 * caller gets an error that `isTransientInfrastructureError` knows (clients: SERVICE_UNAVAILABLE,
 * retry) and the server has written nothing of the statement. `bounds: null` is for one-off
 * scripts whose bulk statements may run long; a service's step that must is bounded in place.
 */
export function createPrismaClient(databaseUrl: string, { poolSize = 10, bounds = DATABASE_BOUNDS }: { poolSize?: number; bounds?: DatabaseBounds | null } = {}): PrismaClient {
  // pg closes a connection idle for 10 s by default, so a pool that only a periodic sweep uses
  // (every 5-10 s here) opened a new one each time: a backend start and a SCRAM handshake
  // (PBKDF2, milliseconds of CPU) per sweep, the largest part of an idle platform's database work.
  // Probing: a connection whose server silently vanished is found in about a second, not by a
  // request waiting out the answer bound (see ProbingPool).
  const config: pg.PoolConfig = {
    connectionString: databaseUrl,
    max: poolSize,
    types: utcTimestamps,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    ...(bounds && {
      connectionTimeoutMillis: bounds.connectMs,
      statement_timeout: bounds.statementMs,
      query_timeout: bounds.answerMs,
      idle_in_transaction_session_timeout: bounds.idleInTransactionMs,
    }),
  };
  const pool = new ProbingPool(config);
  // The pool of `queryPrepared`: its connections plan every statement once, generically (see
  // there). Apart from `pool`, because the setting is a session's and would reach every
  // statement sent on it, Prisma's and queryDirect's unnamed ones included (PostgreSQL plans
  // those with the setting too) and the plpgsql functions' inner statements. Its connections
  // open only when a prepared statement is first sent, and close idle as the other pool's.
  const genericPlanPool = new ProbingPool({ ...config, options: GENERIC_PLANS });
  // An idle connection the server ends (a restart, a failover, a dropped database) is an
  // 'error' on the pool, which pg-pool then replaces; unheard, it would end the process.
  pool.on("error", () => undefined);
  genericPlanPool.on("error", () => undefined);
  // The pools are this client's for good, ended here and never by Prisma: Prisma reconnects on
  // a query after $disconnect, and its adapter, having disposed of a pool it was given, opened
  // one of its own then, which nothing closed. A statement after $disconnect now fails on the
  // ended pool. Prisma also ended a pool only when it had used it itself (a client that ran only
  // `queryDirect` statements kept its connections).
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const disconnect = prisma.$disconnect.bind(prisma);
  Object.defineProperty(prisma, "$disconnect", {
    value: async () => {
      await disconnect();
      for (const own of [pool, genericPlanPool]) if (!own.ended && !(own as unknown as { ending?: boolean }).ending) await own.end();
    },
  });
  pools.set(prisma, pool);
  genericPlanPools.set(prisma, genericPlanPool);
  if (bounds) boundsOfClient.set(prisma, bounds);
  return prisma;
}

/**
 * After `error` ended a statement sent at `sentAt` (a Date.now()), waits until the statement can
 * no longer be running on the server, so that a read made next sees whether it committed. The
 * server answered (an error with a SQLSTATE) or the statement was never sent (no connection
 * opened for it, refused or not in time): at once. Otherwise the connection was cut or gave no
 * answer while the server may still be working (it notices a gone client only when it
 * answers): until the connection and statement bounds have passed since `sentAt`, past which
 * the server has cancelled it. Without bounds
 * (`bounds: null`) nothing tells, and it returns at once.
 */
export async function untilSettledOnServer(prisma: PrismaClient, error: unknown, sentAt: number): Promise<void> {
  const bounds = boundsOfClient.get(prisma);
  if (!bounds || answeredByServer(error) || neverSent(error)) return;
  const left = sentAt + bounds.connectMs + bounds.statementMs - Date.now();
  if (left > 0) await delay(left);
}

/**
 * The statement never left this process: no connection was opened for it, in time or at all
 * (the server refused it, its name did not resolve). A connection reset (ECONNRESET) is not
 * among them: the statement may have been sent before it.
 */
const NEVER_SENT_ERRNOS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);
const neverSent = (error: unknown): boolean => {
  for (let cause = error as { code?: unknown; message?: unknown; cause?: unknown } | null, depth = 0; cause && depth < 5; cause = cause.cause as typeof cause, depth++) {
    if (typeof cause.code === "string" && NEVER_SENT_ERRNOS.has(cause.code)) return true;
    if (/timeout exceeded when trying to connect/i.test(String(cause.message))) return true;
  }
  return false;
};

const answeredByServer = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
};

/**
 * One statement on the client's own pg pool, past Prisma's query pipeline: about 0.1 ms of
 * CPU a statement instead of 0.3 (measured on this machine), for the hottest single
 * statements of the write path. Written as `$queryRaw` is (`Prisma.sql` with its values);
 * dates are sent as UTC, as Prisma sends them, and timestamp columns read back as UTC. It
 * takes a pooled connection of its own, so it never runs inside a Prisma transaction. Errors
 * are pg's: `code` is the SQLSTATE, with `table` and `constraint`.
 */
export async function queryDirect<T>(prisma: PrismaClient, query: Prisma.Sql): Promise<T[]> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("queryDirect needs a client made by createPrismaClient");
  return (await pool.query(query.text, pgValues(query))).rows as T[];
}

/** The session setting of `queryPrepared`'s connections, sent when each opens (so a replaced connection has it too). */
const GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan";

/**
 * As `queryDirect`, for the hottest statements of the money path only: sent as a named
 * prepared statement, parsed and planned once per connection and then only bound and executed,
 * with one generic plan (the planner otherwise keeps planning a statement over the
 * hash-partitioned tables for each call's values: its generic plan costs every partition, even
 * those it prunes when it runs). Planning was about 60% of the payment claim's backend CPU.
 * Its name is derived from its text, so a statement of a few shapes is a few prepared
 * statements, and a connection opened to replace one prepares them again on first use.
 *
 * Only for a statement whose generic plan was read and found as good as its custom ones: each
 * partitioned table pruned at execution (its values are known then) and reached through the
 * same index; never one whose text varies with its values (one prepared statement per text, kept
 * as long as the connection), nor one calling a plpgsql function (its inner statements would
 * follow the setting too). The statements run on connections of their own (see
 * createPrismaClient), so the setting reaches nothing else.
 */
export async function queryPrepared<T>(prisma: PrismaClient, query: Prisma.Sql): Promise<T[]> {
  const pool = genericPlanPools.get(prisma);
  if (!pool) throw new Error("queryPrepared needs a client made by createPrismaClient");
  const statement = preparedStatement(query);
  // A connection whose prepared statement went stale (a migration changed what its `*` names)
  // fails it before running anything, and pg-pool closes a connection whose statement failed:
  // sent again on another, until one prepares it afresh. Each pooled connection fails it at
  // most once, so one more try than the pool holds ends it.
  for (let tries = 1; ; tries++) {
    try {
      return (await pool.query(statement)).rows as T[];
    } catch (error) {
      if (!isStalePreparedStatement(error) || tries > pool.options.max) throw error;
    }
  }
}

/**
 * The server refused a prepared statement before running it: its plan would now return other
 * columns (a table's columns changed under a `*`), or the connection no longer holds it.
 */
const isStalePreparedStatement = (error: unknown): boolean => {
  const { code, routine } = (error ?? {}) as { code?: unknown; routine?: unknown };
  return (code === "0A000" && routine === "RevalidateCachedQuery") || code === "26000";
};

/** The query config `queryPrepared` sends: the statement's text and values, and its name. */
export const preparedStatement = (query: Prisma.Sql): pg.QueryConfig => ({
  name: `generic_${createHash("sha1").update(query.text).digest("hex").slice(0, 24)}`,
  text: query.text,
  values: pgValues(query),
});

/**
 * The prepared statements of `queryPrepared`'s connection, with how often each was planned
 * generically and with its values: what the planner did, for the checks that every hot
 * statement stays prepared and generic. On a client whose pool holds one connection, that one.
 */
export async function preparedStatementsOf(prisma: PrismaClient): Promise<{ name: string; statement: string; genericPlans: number; customPlans: number; planCacheMode: string }[]> {
  const pool = genericPlanPools.get(prisma);
  if (!pool) throw new Error("preparedStatementsOf needs a client made by createPrismaClient");
  const { rows } = await pool.query<{ name: string; statement: string; genericPlans: string; customPlans: string; planCacheMode: string }>(
    `SELECT name, statement, generic_plans AS "genericPlans", custom_plans AS "customPlans", current_setting('plan_cache_mode') AS "planCacheMode" FROM pg_prepared_statements WHERE from_sql = false`,
  );
  return rows.map((row) => ({ ...row, genericPlans: Number(row.genericPlans), customPlans: Number(row.customPlans) }));
}

/**
 * Several read statements in one round trip, in order, on one pooled connection: a
 * simple-protocol query of the statements, each with its values written as literals (see
 * withLiterals), so a step that needs two reads before it can answer (a sold-out checkout's
 * cart and its key) pays one write to the server and one wake-up instead of two. Each
 * statement reads its own snapshot, as it would sent alone, one after the other. Answers
 * each statement's rows, in the order given.
 */
export async function queryDirectTogether(prisma: PrismaClient, queries: readonly Prisma.Sql[]): Promise<unknown[][]> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("queryDirectTogether needs a client made by createPrismaClient");
  if (queries.length === 0) return [];
  const answers = (await pool.query(queries.map(withLiterals).join("; "))) as unknown as pg.QueryResult | pg.QueryResult[];
  return (Array.isArray(answers) ? answers : [answers]).map((answer) => answer.rows);
}

/** Dates sent as UTC, as Prisma sends them (timestamp columns hold UTC). */
const pgValues = (query: Prisma.Sql): unknown[] => query.values.map((value) => (value instanceof Date ? value.toISOString() : value));

/**
 * Runs one statement of a transaction: `Prisma.sql` in (as `queryDirect` takes it), rows out.
 * `andCommit` makes it the transaction's last: it commits in the same round trip, and a
 * statement sent after it is refused.
 */
export type TransactionStatement = <T>(query: Prisma.Sql, options?: { andCommit?: boolean }) => Promise<T[]>;

/**
 * One transaction on a connection of the client's own pg pool, past Prisma's interactive
 * transaction: BEGIN, the statements `work` sends, COMMIT; ROLLBACK when `work` throws. Prisma's
 * machinery (a transaction id, an item per statement through its engine and its adapter) cost
 * more of node's time than the statements of the hottest transaction (the payment outcome,
 * once a checkout). The bounds are the pool's, as for every statement of the client: a
 * connection waited for at most `connectMs`, each statement `statementMs`, and `work` left
 * idle between statements (an outside call with a row locked) at most `idleInTransactionMs`,
 * past which the server ends the connection and the transaction with it. The connection goes
 * back to the pool only when the server confirmed the end of the transaction; otherwise it is
 * closed, so no lock or open transaction outlives the call.
 */
export async function inDirectTransaction<T>(prisma: PrismaClient, work: (statement: TransactionStatement) => Promise<T>): Promise<T> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("inDirectTransaction needs a client made by createPrismaClient");
  const client = await pool.connect();
  // As in withDirectConnection: an end of the connection between statements is heard here and
  // fails the next statement, rather than ending the process.
  const ended = () => undefined;
  client.on("error", ended);
  // BEGIN rides in the first statement's round trip and COMMIT in the last's when the work
  // says which that is (each a simple-protocol query of two statements, values written as
  // literals: see withLiterals); otherwise COMMIT follows on its own. The payment outcome's
  // transaction is then three round trips, not five.
  let begun = false;
  let committed = false;
  const statement: TransactionStatement = async <R>(query: Prisma.Sql, options: { andCommit?: boolean } = {}) => {
    if (committed) throw new Error("this transaction has committed; a statement after its last one is a bug");
    if (begun && !options.andCommit) return (await client.query(query.text, pgValues(query))).rows as R[];
    const opening = !begun;
    begun = true;
    const answers = (await client.query(`${opening ? "BEGIN; " : ""}${withLiterals(query)}${options.andCommit ? "; COMMIT" : ""}`)) as unknown as pg.QueryResult | pg.QueryResult[];
    if (options.andCommit) committed = true;
    const answer = Array.isArray(answers) ? answers[opening ? 1 : 0]! : answers;
    return answer.rows as R[];
  };
  try {
    const result = await work(statement);
    if (begun && !committed) await client.query("COMMIT");
    client.removeListener("error", ended);
    client.release();
    return result;
  } catch (error) {
    const rolledBack = await client.query("ROLLBACK").then(
      () => true,
      () => false,
    );
    client.removeListener("error", ended);
    client.release(rolledBack ? undefined : error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/**
 * One connection of the client's own pg pool for `work`, for the few steps that need session
 * state Prisma cannot hold (a session-level lock, two transactions in a set order). Returned to
 * the pool after success; closed after a failure, so no lock or open transaction outlives it.
 */
export async function withDirectConnection<T>(prisma: PrismaClient, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("withDirectConnection needs a client made by createPrismaClient");
  const client = await pool.connect();
  // The server may end the connection while `work` holds it between statements (a restart, a
  // transaction idle past its bound): an 'error' on the client, which pg-pool hears only while
  // the connection is idle in the pool. Unheard it would end the process; heard, the next
  // statement of `work` fails, and the connection is dropped below.
  const ended = () => undefined;
  client.on("error", ended);
  try {
    const result = await work(client);
    client.removeListener("error", ended);
    client.release();
    return result;
  } catch (error) {
    client.removeListener("error", ended);
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/**
 * The database's time, the one clock every replica shares: read by `startAnchoredClock` so that
 * times stamped by one process and judged by another agree whatever their hosts' clocks say.
 */
export async function readDatabaseClock(prisma: PrismaClient): Promise<Date> {
  const [row] = await queryDirect<{ now: Date }>(prisma, Prisma.sql`SELECT clock_timestamp() AS now`);
  if (!row) throw new Error("the database answered no time");
  return new Date(row.now);
}
