import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { waitFor } from "./wait-for.js";

/** A redis-server of this test's own, on a free port, that the test may stop and start. */
export interface ThrowawayRedis {
  url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /**
   * Starts it again on the same port, and waits until it answers PING: empty, or with
   * `snapshots` holding what the last SAVE wrote (a server restored from an old snapshot).
   */
  start(): Promise<void>;
}

function findRedisServer(): string {
  const candidates = ["/usr/bin/redis-server", ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "redis-server"))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error("redis-server is not installed: the Redis outage proof needs its own server (scripts/services.sh up redis installs it)");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** True when something on the port answers PING with PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(500);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts a dedicated redis-server; stop it with `kill` when done. Persistence-free, unless
 * `snapshots`: then it writes a snapshot on SAVE only (never on its own) and loads the last one
 * when it starts.
 */
export async function startThrowawayRedis({ snapshots = false } = {}): Promise<ThrowawayRedis> {
  const binary = findRedisServer();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const persistence: string[] = [];
  if (snapshots) {
    const dir = mkdtempSync(join(tmpdir(), "throwaway-redis-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    persistence.push("--dir", dir, "--dbfilename", "dump.rdb");
  }

  async function start(): Promise<void> {
    child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", ...persistence], { stdio: "ignore" });
    await waitFor(`redis-server answers on port ${port}`, () => pings(port), { timeoutMs: 10_000, intervalMs: 20 });
  }

  async function kill(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  }

  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start };
}
