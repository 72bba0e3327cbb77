import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isProcessRunning, type Config } from "#kernel";

/** How long a stopped server may take to finish its fast shutdown. */
const SHUTDOWN_WAIT_MS = 15_000;

/** The embedded PostgreSQL of this data directory left running by a start that is gone, if any. */
export function orphanedEmbeddedPostgres(config: Config): number | undefined {
  if (config.relational.databaseUrl) return undefined;
  const dataDir = resolve(config.relational.embeddedDir);
  const pid = Number(readText(join(dataDir, "postmaster.pid")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessRunning(pid)) return undefined;
  // Ours only: this directory's server, whose parent (the npm start that spawned it) is gone.
  const command = readText(`/proc/${pid}/cmdline`).split("\0");
  const servesThisDir = command.some((part) => part.endsWith("postgres")) && command[command.indexOf("-D") + 1] === dataDir;
  if (!servesThisDir) return undefined;
  const parent = Number(/^\d+ \(.*\) \S (\d+)/.exec(readText(`/proc/${pid}/stat`))?.[1]);
  const parentCommand = readText(`/proc/${parent}/cmdline`);
  return /(^|\/)node\0/.test(parentCommand) ? undefined : pid;
}

/**
 * Stops the embedded PostgreSQL an earlier `npm start` left behind (killed with -9 or by the
 * OOM killer, or by an earlier version that did not stop it): it kept the port and the data directory, so every later start
 * was refused as if another one ran. A server whose spawning process is gone serves no one; it
 * is stopped the way PostgreSQL's own fast shutdown does (SIGINT), as a journal's LOCK of a
 * process that is gone is taken over. Resolves with its pid once it has exited, or undefined
 * when there was none; rejects when it cannot be signalled or does not stop.
 */
export async function stopOrphanedEmbeddedPostgres(config: Config): Promise<number | undefined> {
  const pid = orphanedEmbeddedPostgres(config);
  if (pid === undefined) return undefined;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (isProcessRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL (pid ${pid}) an earlier npm start left running did not stop; stop it with kill ${pid}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return pid;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
