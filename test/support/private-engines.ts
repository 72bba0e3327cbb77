import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLogger } from "#kernel";
import { startEmbeddedPostgres } from "#kernel/relational/embedded-postgres-server.ts";
import { waitFor } from "#kernel/testing";

/**
 * Engines of a run's own, on free ports, that it may crash and start again: restarting the
 * shared engines would break every other test using them. Each `crash` is a kill -9 of every
 * process of the engine; `start` brings it back on the same port and data.
 */
export interface PrivateEngine {
  url: string;
  crash(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on("error", reject);
  });
}

/**
 * The first port of `count` consecutive free ones (the fleet takes a range), below the
 * kernel's ephemeral range (32768 and up): a port picked there may be taken meanwhile by any
 * outgoing connection on the machine.
 */
export async function freePortRange(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let port = base; port < base + count && ok; port++) ok = await free(port);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

const listening = (port: number) =>
  new Promise<boolean>((resolveOpen) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once("error", () => resolveOpen(false));
  });

/** Kills a process and all its descendants with SIGKILL, as a machine crash would end them. */
function killTree(pid: number): void {
  let children: number[] = [];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {
    // no children
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  for (const child of children) killTree(child);
}

/** PostgreSQL 18 (embedded-postgres binaries) in a temporary data directory. */
export async function startPrivatePostgres(): Promise<PrivateEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), "private-pg-"));
  const port = await freePort();
  const logger = createLogger("silent");
  let handle = await startEmbeddedPostgres({ dataDir, port, logger });
  const postmasterPid = () => Number(readFileSync(join(resolve(dataDir), "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url: handle.databaseUrl,
    async crash() {
      killTree(postmasterPid());
      await waitFor(`PostgreSQL on ${port} is gone`, async () => !(await listening(port)), { timeoutMs: 10_000, intervalMs: 20 });
    },
    async start() {
      handle = await startEmbeddedPostgres({ dataDir, port, logger });
    },
    async close() {
      await handle.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Redis without persistence: a restart comes back empty, as a cache's crash would. */
export async function startPrivateRedis(): Promise<PrivateEngine> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: "ignore" });
    await waitFor(`redis-server answers on ${port}`, () => listening(port), { timeoutMs: 10_000, intervalMs: 20 });
  };
  const crash = async () => {
    if (child?.pid) killTree(child.pid);
    await waitFor(`Redis on ${port} is gone`, async () => !(await listening(port)), { timeoutMs: 10_000, intervalMs: 20 });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, crash, start, close: crash };
}

/**
 * A single-node KRaft Kafka from the jars `scripts/services.sh up kafka` fetched into
 * .run/lib/kafka, with its log in a temporary directory kept across crashes.
 */
export async function startPrivateKafka(): Promise<PrivateEngine> {
  const dir = mkdtempSync(join(tmpdir(), "private-kafka-"));
  const [port, controller] = [await freePort(), await freePort()];
  const conf = join(dir, "server.properties");
  writeFileSync(
    conf,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      `log.dirs=${join(dir, "data")}`,
      "num.partitions=1",
      "auto.create.topics.enable=true",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "share.coordinator.state.topic.replication.factor=1",
      "share.coordinator.state.topic.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
    ].join("\n"),
  );
  const classpath = `${resolve(".run/lib/kafka")}/*`;
  const jvm = ["-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-Dlog4j2.level=WARN"];
  // Asynchronously: a JVM start takes seconds, and other engines' readiness waits run meanwhile.
  const run = promisify(execFile);
  const id = (await run("java", ["-cp", classpath, "kafka.tools.StorageTool", "random-uuid"])).stdout.trim().split("\n").at(-1)!;
  await run("java", [...jvm, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", id, "-c", conf]);
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("java", [...jvm, "-cp", classpath, "kafka.Kafka", conf], { stdio: "ignore" });
    await waitFor(`Kafka answers on ${port}`, () => listening(port), { timeoutMs: 120_000, intervalMs: 100 });
  };
  const crash = async () => {
    if (child?.pid) killTree(child.pid);
    await waitFor(`Kafka on ${port} is gone`, async () => !(await listening(port)), { timeoutMs: 10_000, intervalMs: 20 });
  };
  await start();
  return {
    url: `127.0.0.1:${port}`,
    crash,
    start,
    async close() {
      await crash();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
