import pg from "pg";

/**
 * How many queries every pg client of this process sends to PostgreSQL while `work` runs: each
 * one round trip (a write to the server and a wake-up of its backend), whatever its statements.
 */
export async function queriesSentDuring(work: () => Promise<unknown>): Promise<number> {
  const query = pg.Client.prototype.query;
  let sent = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    sent += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
}
