import type { Socket } from "node:net";
import * as mariadb from "mariadb";
import { DATABASE_BOUNDS, type DatabaseBounds } from "#kernel/runtime/money-path-deadlines.ts";
import type { MysqlConnectionFields } from "../../../../prisma/accounts/migrator/connection.js";

/** The connector's own code for a socket that gave no answer in time (ER_SOCKET_TIMEOUT). */
const SOCKET_TIMEOUT_ERRNO = 45026;

/** Shaped as the connector's SqlError, so Prisma's adapter keeps its errno for the error's reader. */
class NoAnswerInTime extends Error {
  readonly errno = SOCKET_TIMEOUT_ERRNO;
  readonly code = "ER_SOCKET_TIMEOUT";
  readonly sqlState = "08S01";
  readonly sqlMessage: string;
  readonly fatal = true;
  constructor(answerMs: number) {
    super(`the database gave no answer within ${answerMs} ms; the connection was closed`);
    this.sqlMessage = this.message;
  }
}

/**
 * A MariaDB/MySQL pool whose every wait is bounded, as the PostgreSQL pools are (DATABASE_BOUNDS):
 * for a pooled or new connection (`connectMs`), and for a statement's answer (`answerMs`). The
 * connector has no client-side answer deadline of its own (its `queryTimeout` is the server's
 * max_statement_time, which a hung server or a silent network path never applies), so a
 * statement sent on a connection that went silent waited for ever and its connection never
 * came back to the pool: a few such connections and every sign-in waited for one. Past
 * `answerMs` the connection's socket is closed (the pool then opens another) and the caller gets
 * ER_SOCKET_TIMEOUT, which `isTransientInfrastructureError` knows.
 *
 * A server that vanished without a reset leaves every idle connection looking open. The
 * connector asks an idle connection whether it still answers (a ping bounded at 250 ms) before
 * lending it, but one at a time, so a request met each dead connection in turn (a pool of 10
 * took 2.5 s). Here, once a pooled connection closes (a ping or a statement that went
 * unanswered, a server's close), the other idle connections are borrowed at once, so their
 * checks run side by side, and given back: a vanished server costs a request about two checks.
 *
 * Prisma's MariaDB adapter takes it as an external pool: it calls `getConnection`, `query`,
 * `execute` and `end`, and `query`, `execute` and `release` on the connections it gets.
 */
export function boundedMysqlPool(fields: MysqlConnectionFields, { connectionLimit, bounds = DATABASE_BOUNDS }: { connectionLimit: number; bounds?: Pick<DatabaseBounds, "connectMs" | "answerMs"> }): mariadb.Pool {
  const pool = mariadb.createPool({
    ...fields,
    connectionLimit,
    // The adapter sets it for a pool of its own: statements are prepared per call, not cached.
    prepareCacheLength: 0,
    connectTimeout: bounds.connectMs,
    acquireTimeout: bounds.connectMs,
  });
  // The pool's own connection objects, by server thread, to close a silent one's socket: the
  // connector's destroy() would open another connection to KILL the statement, and rejects
  // unheard (an unhandled rejection ends the process) when the server no longer knows the thread.
  const sockets = new Map<number, Socket>();
  let ending = false;
  let sweeping: Promise<void> | undefined;
  /** Borrows every idle connection at once (each borrow checks the one it takes) and gives them back. */
  const checkIdleAtOnce = () => {
    if (ending || sweeping) return;
    sweeping = (async () => {
      const borrowed = await Promise.all(Array.from({ length: pool.idleConnections() }, () => pool.getConnection().catch(() => undefined)));
      await Promise.all(borrowed.map((connection) => connection?.release().catch(() => undefined)));
    })().finally(() => {
      sweeping = undefined;
    });
  };
  pool.on("connection", (connection: unknown) => {
    const { threadId, socket } = connection as { threadId: number; socket: Socket };
    sockets.set(threadId, socket);
    socket.once("close", () => {
      sockets.delete(threadId);
      checkIdleAtOnce();
    });
  });
  /** Connections closed at a deadline: their release must not wait on the dead socket. */
  const closed = new WeakSet<mariadb.PoolConnection>();
  const answered = <T>(connection: mariadb.PoolConnection, statement: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Closed with an error (the connector hears a socket's 'error', not its 'close'), the
        // connection fails its statement and tells the pool, which drops it.
        const error = new NoAnswerInTime(bounds.answerMs);
        closed.add(connection);
        sockets.get(connection.threadId ?? -1)?.destroy(error);
        reject(error);
      }, bounds.answerMs);
    });
    // The statement's own rejection once its socket is closed is the deadline's, already reported.
    statement.catch(() => undefined);
    return Promise.race([statement, deadline]).finally(() => clearTimeout(timer));
  };
  const bounded = (connection: mariadb.PoolConnection): mariadb.PoolConnection =>
    new Proxy(connection, {
      get(target, property) {
        if (property === "query" || property === "execute") {
          return (...args: unknown[]) => answered(target, (target[property] as (...a: unknown[]) => Promise<unknown>)(...args));
        }
        // A release resets the connection with a command of its own, which a closed socket never answers.
        if (property === "release") {
          return () => {
            const released = target.release().catch(() => undefined);
            return closed.has(target) ? Promise.resolve() : released;
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const onOwnConnection = async (method: "query" | "execute", args: unknown[]) => {
    const connection = bounded(await pool.getConnection());
    try {
      return await (connection[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      await connection.release();
    }
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === "getConnection") return async () => bounded(await target.getConnection());
      if (property === "end") {
        return async () => {
          ending = true;
          await sweeping;
          return target.end();
        };
      }
      if (property === "query" || property === "execute") return (...args: unknown[]) => onOwnConnection(property, args);
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
