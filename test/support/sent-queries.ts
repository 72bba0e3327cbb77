import pg from "pg";

/** One query as a pg client sends it: its text and its values, whichever way they were passed. */
export interface SentQuery {
  text: string;
  values: readonly unknown[] | undefined;
}

/** Calls `seen` with every query every pg client of this process sends while `work` runs. */
export async function watchQueriesDuring(work: () => Promise<unknown>, seen: (query: SentQuery) => void): Promise<void> {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first, second] = args as [{ text?: string; values?: unknown[] } | string, unknown[] | undefined];
    seen(typeof first === "string" ? { text: first, values: Array.isArray(second) ? second : undefined } : { text: String(first?.text), values: first?.values });
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = query;
  }
}

/**
 * How many queries every pg client of this process sends to PostgreSQL while `work` runs: each
 * one round trip (a write to the server and a wake-up of its backend), whatever its statements.
 */
export async function queriesSentDuring(work: () => Promise<unknown>): Promise<number> {
  let sent = 0;
  await watchQueriesDuring(work, () => void (sent += 1));
  return sent;
}
