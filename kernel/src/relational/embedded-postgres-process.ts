import { spawn, execFileSync, type ChildProcess } from "node:child_process";

/** A running embedded PostgreSQL server process, stopped only when its owner says so. */
export interface PostgresProcess {
  pid: number;
  /** Fast shutdown (SIGINT: open transactions are rolled back); resolves once it has exited. */
  stop(): Promise<void>;
}

const STOPPING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const running = new Set<ChildProcess>();

/**
 * Starts the server in a process group of its own. In the terminal's group, Ctrl-C (and a
 * closed terminal) reached it beside `npm start` and it cut every connection at once, so the
 * requests the servers were still answering failed instead of draining; now it stops when its
 * owner stops it, after the servers have closed. A process that does not handle the signal
 * itself still ends as the signal would, its servers stopped first, and one that exits
 * without stopping them (a crash, `process.exit`) takes them down too: none is left behind.
 */
export function spawnPostgresServer(options: {
  binary: string;
  args: string[];
  onOutput: (text: string) => void;
  /** Why the server exited before it was ready: its last FATAL line, if any. */
  startError: () => Error;
}): Promise<PostgresProcess> {
  const child = spawn(options.binary, options.args, {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    ...postgresUser(),
    // The readiness line is matched in English.
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let ready = false;
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      options.onOutput(text);
      if (!ready && text.includes("database system is ready to accept connections")) {
        ready = true;
        watch(child);
        resolve({ pid: child.pid!, stop: () => stop(child, exited) });
      }
    });
    child.once("exit", () => {
      if (running.delete(child) && running.size === 0) unwatch();
      if (!ready) reject(options.startError());
    });
    child.once("error", reject);
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
  await exited;
}

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` user initdb was given. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

function watch(child: ChildProcess): void {
  if (running.size === 0) {
    for (const signal of STOPPING_SIGNALS) process.on(signal, endAsTheSignalWould);
    process.on("exit", stopAllNow);
  }
  running.add(child);
}

function unwatch(): void {
  for (const signal of STOPPING_SIGNALS) process.removeListener(signal, endAsTheSignalWould);
  process.removeListener("exit", stopAllNow);
}

/**
 * A process that handles the signal (runUntilSignal) closes its servers and then stops the
 * database itself; one that does not would have died of it, so it does, its servers first.
 */
function endAsTheSignalWould(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  const children = [...running];
  stopAllNow();
  void Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once("exit", resolve) : resolve(undefined))))).then(() => {
    unwatch();
    process.kill(process.pid, signal);
  });
}

function stopAllNow(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
}
