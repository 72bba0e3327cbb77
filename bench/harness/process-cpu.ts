import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second for /proc times (USER_HZ, 100 on Linux here). */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  /** What the process is, from its command line. */
  role: string;
  /** user + system CPU time so far, in ticks. */
  ticks: number;
}

/**
 * Names a process by what it runs: the engines by their binaries, our node processes by
 * `roles` (pid -> name, e.g. the harness itself or a child it started), anything else
 * "other". PostgreSQL backends are one role whatever the database they serve.
 */
function roleOf(pid: number, commandLine: string, command: string, roles: ReadonlyMap<number, string>, database?: string): string | undefined {
  const named = roles.get(pid);
  if (named) return named;
  if (command === "postgres" || commandLine.includes("/bin/postgres")) return database ? postgresRole(commandLine, database) : "postgresql";
  if (command.startsWith("redis-server")) return "redis";
  if (command === "ferretdb" || commandLine.includes("/ferretdb")) return "ferretdb";
  if (command === "java" && commandLine.includes("kafka.Kafka")) return "kafka";
  if (command === "java" && commandLine.toLowerCase().includes("opensearch")) return "opensearch";
  return undefined;
}

/**
 * A PostgreSQL process by whom it works for: a backend of `database` (a backend's title is
 * "postgres: user database host(port) state"), a backend of another database (other work on a
 * shared server, not this run's), or the server's own background processes (WAL writer,
 * checkpointer, autovacuum), which every database's writes share.
 */
function postgresRole(commandLine: string, database: string): string {
  const title = /postgres: (?:[^:]+: )?(\S+) (\S+) \S+\(\d+\)|postgres: (?:[^:]+: )?(\S+) (\S+) \[local\]/.exec(commandLine);
  if (!title) return "postgresql: background";
  // FerretDB keeps its documents in a PostgreSQL database of its own: its backends work for it.
  if ((title[2] ?? title[4]) === "ferretdb") return "postgresql: for ferretdb";
  return (title[2] ?? title[4]) === database ? "postgresql: this run" : "postgresql: other dbs";
}

/**
 * CPU times of every process on the machine that plays a known role, now; with `database`,
 * PostgreSQL's processes are split by the database they serve.
 */
export function sampleProcessCpu(roles: ReadonlyMap<number, string>, database?: string): Map<number, ProcessTimes> {
  const sample = new Map<number, ProcessTimes>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command sits in parentheses and may hold spaces: fields are counted after it.
      const close = stat.lastIndexOf(")");
      const command = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const role = roleOf(pid, commandLine, command, roles, database);
      if (role) sample.set(pid, { role, ticks });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return sample;
}

/**
 * CPU milliseconds each role spent between two samples. A process that started in between
 * counts whole; one that ended in between is lost (short-lived ones are rare here: pools).
 */
export function cpuMsByRole(before: Map<number, ProcessTimes>, after: Map<number, ProcessTimes>): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const [pid, now] of after) {
    const spent = now.ticks - (before.get(pid)?.ticks ?? 0);
    byRole.set(now.role, (byRole.get(now.role) ?? 0) + (spent * 1000) / TICKS_PER_SECOND);
  }
  return new Map([...byRole].sort((a, b) => b[1] - a[1]));
}

/** One line per role: CPU ms per unit of work (a checkout), and the share of all. */
export function formatCpuBreakdown(byRole: Map<string, number>, units: number, unitName: string): string[] {
  const total = [...byRole.values()].reduce((sum, ms) => sum + ms, 0);
  const lines = [...byRole].map(([role, ms]) => `  ${role.padEnd(22)} ${(ms / units).toFixed(2).padStart(8)} ms/${unitName}  ${((ms / Math.max(1, total)) * 100).toFixed(0).padStart(3)}%`);
  lines.push(`  ${"all".padEnd(22)} ${(total / units).toFixed(2).padStart(8)} ms/${unitName}`);
  return lines;
}
