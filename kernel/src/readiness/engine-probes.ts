import { withDeadline } from "../events/with-deadline.js";
import type { EngineProbe } from "./engine-readiness.js";

/**
 * Probes that keep one connection of their own to the engine, apart from the pools that serve
 * requests: a pool saturated by load must not read as an engine down (every replica would
 * leave service under load at once), and a probe must not queue behind the requests. A
 * connection that failed, or did not answer in time, is dropped and the next probe opens a
 * new one, so a restored engine reads as up again on the next probe.
 */
function keptConnection<C>(open: () => Promise<C>, ask: (connection: C) => Promise<unknown>, drop: (connection: C) => void): EngineProbe {
  let connection: Promise<C> | undefined;
  const probe: EngineProbe = async () => {
    const current = (connection ??= open());
    try {
      // The readiness deadline abandons a probe without cancelling it: drop the connection
      // then too, or one stalled connection would answer every later probe with the stall.
      await withDeadline(900, "readiness probe", () => current.then(ask));
    } catch (error) {
      if (connection === current) connection = undefined;
      current.then(drop, () => undefined);
      throw error;
    }
  };
  probe.close = async () => {
    const kept = connection;
    connection = undefined;
    await kept?.then(drop, () => undefined);
  };
  return probe;
}

export function postgresProbe(databaseUrl: string): EngineProbe {
  return keptConnection(
    async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 1_000, application_name: "readiness" });
      client.on("error", () => undefined);
      await client.connect();
      return client;
    },
    (client) => client.query("SELECT 1"),
    (client) => void client.end().catch(() => undefined),
  );
}

export function mongoProbe(mongoUrl: string): EngineProbe {
  return keptConnection(
    async () => {
      const { MongoClient } = await import("mongodb");
      return MongoClient.connect(mongoUrl, { maxPoolSize: 1, serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000, socketTimeoutMS: 1_000 });
    },
    (client) => client.db().command({ ping: 1 }),
    (client) => void client.close(true).catch(() => undefined),
  );
}

export function mysqlProbe(mysqlUrl: string): EngineProbe {
  const url = new URL(mysqlUrl);
  return keptConnection(
    async () => {
      const mariadb = await import("mariadb");
      const connection = await mariadb.createConnection({
        host: url.hostname,
        port: url.port ? Number(url.port) : 3306,
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: decodeURIComponent(url.pathname.slice(1)),
        connectTimeout: 1_000,
      });
      connection.on("error", () => undefined);
      return connection;
    },
    (connection) => connection.query("SELECT 1"),
    (connection) => void connection.destroy(),
  );
}

/** An HTTP engine (OpenSearch) answers its root; credentials in the URL go in a header. */
export function httpProbe(engineUrl: string): EngineProbe {
  const url = new URL(engineUrl);
  const headers: Record<string, string> = {};
  if (url.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
  url.username = "";
  url.password = "";
  return async () => {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(900) });
    await response.body?.cancel();
    if (response.status >= 500) throw new Error(`answered ${response.status}`);
  };
}
