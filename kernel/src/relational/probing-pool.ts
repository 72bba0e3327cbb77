import pg from "pg";

/** A connection idle at least this long is asked whether its server still answers before it is lent. */
const PROBE_AFTER_IDLE_MS = 1_000;
/** How long that question waits for its answer: a server this slow to say SELECT 1 is as good as gone. */
const PROBE_ANSWER_MS = 1_000;

type BorrowCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * A pg pool that lends no connection whose server has silently gone. A pooled connection whose
 * peer vanished without a reset (a failover to another host, a firewall or NAT that dropped its
 * state, a server host lost) looks open: a statement sent on it waits for the pool's answer bound
 * (15 s) before failing, and pg-pool lends such connections one request at a time, so each cost
 * a request that long. Here a connection idle for a second or more is asked SELECT 1 first, with
 * a 1 s bound, and one wedged by an earlier unanswered statement is not lent at all; either,
 * once found dead, is closed, the pool's other idle connections are asked at once the same way,
 * and the borrower gets another connection. A busy connection (used within the last second) is
 * lent as it is, so a loaded service pays no round trip; one that fails by silence (a read
 * timeout, a cut) also has its idle siblings asked. So a vanished server costs about a second per
 * pool, not a request's bound per connection.
 */
export class ProbingPool extends pg.Pool {
  private readonly lastReleased = new WeakMap<pg.PoolClient, number>();
  private sweeping?: Promise<void>;

  constructor(config: pg.PoolConfig) {
    super(config);
    this.on("release", (error: Error | undefined, client: pg.PoolClient) => {
      this.lastReleased.set(client, performance.now());
      if (error && failedBySilence(error)) void this.sweep();
    });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: BorrowCallback): void;
  override connect(callback?: BorrowCallback): Promise<pg.PoolClient> | void {
    const borrowing = this.borrow();
    if (!callback) return borrowing;
    borrowing.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async borrow(): Promise<pg.PoolClient> {
    for (;;) {
      const client = await super.connect();
      if (await this.stillAnswers(client, false)) return client;
      void this.sweep();
    }
  }

  /**
   * Whether `client` may be lent; one that may not is closed. A new connection just answered its
   * handshake; one lent within PROBE_AFTER_IDLE_MS is taken on trust (`always` asks anyway).
   */
  private async stillAnswers(client: pg.PoolClient, always: boolean): Promise<boolean> {
    // A statement sent and never answered (its read bound passed) holds the connection's queue:
    // anything sent after it waits behind it for good.
    if ((client as { readyForQuery?: boolean }).readyForQuery === false) {
      client.release(new Error("a pooled connection still waits for an earlier statement's answer"));
      return false;
    }
    const released = this.lastReleased.get(client);
    if (released === undefined || (!always && performance.now() - released < PROBE_AFTER_IDLE_MS)) return true;
    // A lent connection's end or reset is an 'error' on it, which pg-pool hears only while the
    // connection is idle: unheard while the question is out, it would end the process.
    const ended = () => undefined;
    client.on("error", ended);
    try {
      await client.query({ text: "SELECT 1", query_timeout: PROBE_ANSWER_MS } as pg.QueryConfig);
      return true;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      return false;
    } finally {
      client.removeListener("error", ended);
    }
  }

  /** Asks every connection idle now, at once, and closes those that do not answer. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      // Each asked as soon as it is had: one borrow that waits (the idle ones taken meanwhile)
      // holds none of the others.
      await Promise.all(
        Array.from({ length: this.idleCount }, async () => {
          const client = await super.connect().catch(() => undefined);
          if (client && (await this.stillAnswers(client, true))) client.release();
        }),
      );
    })().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }
}

/**
 * The server went quiet or the path to it was cut, rather than answering: pg's read timeout, a
 * connection ended or reset. An error the server sent (a SQLSTATE) says it is there.
 */
function failedBySilence(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return false;
  return /Query read timeout|Connection terminated|ECONNRESET|ETIMEDOUT|EPIPE/i.test(`${String(code)} ${error.message}`);
}
