import pg from "pg";

/** SQL statements and transactions sent to PostgreSQL by this process so far. */
export interface StatementCount {
  statements: number;
  transactions: number;
}

const UNCOUNTED = Symbol("uncounted");
const counted: StatementCount = { statements: 0, transactions: 0 };
let installed = false;

/**
 * Counts every statement this process sends through `pg` (Prisma's driver adapter included:
 * one `Client.query` is one round trip), and every BEGIN as a transaction. A figure per
 * checkout says what a change of the write path saves whatever the machine's load, which
 * throughput on shared cores does not. Clients passed to `uncounted` (the harness's own
 * polling) are left out.
 */
export function countStatements(): { snapshot(): StatementCount; uncounted<T extends pg.Client>(client: T): T } {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: pg.Client & { [UNCOUNTED]?: true }, ...args: unknown[]) {
      if (!this[UNCOUNTED]) {
        counted.statements += 1;
        const first = args[0];
        const text = typeof first === "string" ? first : (first as { text?: unknown } | null)?.text;
        if (typeof text === "string" && /^\s*BEGIN\b/i.test(text)) counted.transactions += 1;
      }
      return query.apply(this, args);
    } as typeof pg.Client.prototype.query;
  }
  return {
    snapshot: () => ({ ...counted }),
    uncounted: (client) => Object.assign(client, { [UNCOUNTED]: true as const }),
  };
}
