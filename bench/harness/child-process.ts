import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createWriteStream } from "node:fs";
import { entryArguments, runnerFromEnv, type EntryRunner } from "./built-entry.js";

/** A process the harness started: its pid, its log, and how to stop it. */
export interface BenchProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Parsed from the process's `BENCH_READY {json}` line, when it prints one. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

const READY_PREFIX = "BENCH_READY ";

/**
 * Starts `entry` in its own process (its own core share, its own heap), built into plain
 * JavaScript first as production runs it (`BENCH_RUNNER=tsx`: through tsx), and waits until
 * it prints `BENCH_READY {json}` on stdout or, with `readyUrl`, until that URL answers 200.
 * Output goes to `logFile`, never to the harness's terminal.
 */
export async function startBenchProcess(options: {
  name: string;
  entry: string;
  args?: string[];
  env: Record<string, string | undefined>;
  logFile: string;
  readyUrl?: string;
  timeoutMs?: number;
  runner?: EntryRunner;
  /** Another checkout of the project to build `entry` from (see `entryArguments`). */
  root?: string;
}): Promise<BenchProcess> {
  const log = createWriteStream(options.logFile, { flags: "a" });
  // BENCH_CPU_PROFILE_DIR: each process writes V8 CPU profiles (one per thread, the module
  // loader's too) into a folder named after it when it exits; node takes no --cpu-prof from NODE_OPTIONS.
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}/${options.name}`] : [];
  const entry = await entryArguments(options.entry, options.runner ?? runnerFromEnv(), options.root);
  const child = spawn(process.execPath, [...profile, ...entry.args, ...(options.args ?? [])], { env: options.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve())).then(() => entry.cleanup());
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started process behind.
      child.kill("SIGKILL");
      reject(new Error(`${options.name} did not become ready within ${options.timeoutMs ?? 120_000} ms; see ${options.logFile}`));
    }, options.timeoutMs ?? 120_000);
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith(READY_PREFIX)) {
          clearTimeout(timer);
          resolve(JSON.parse(line.slice(READY_PREFIX.length)) as Record<string, unknown>);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before it was ready; see ${options.logFile}`));
    });
    if (options.readyUrl) {
      const url = options.readyUrl;
      const poll = async () => {
        while (child.exitCode === null) {
          try {
            if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) {
              clearTimeout(timer);
              return resolve({});
            }
          } catch {
            // not listening yet
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      void poll();
    }
  });
  return {
    name: options.name,
    pid: child.pid!,
    child,
    ready,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      // A profiled process writes its profile as it exits: on a loaded machine that and a
      // graceful close take longer than 10 s, and a kill would lose the profile.
      const killer = setTimeout(() => child.kill("SIGKILL"), process.env.BENCH_CPU_PROFILE_DIR ? 60_000 : 10_000);
      await exited;
      clearTimeout(killer);
      log.end();
    },
  };
}

/** Resident memory (MB) of a process and all its descendants (cluster workers), from /proc. */
export function treeRssMb(pid: number): number {
  let kb = 0;
  for (const member of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${member}/status`, "utf8");
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields follow the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds (user + system) a process tree has used so far, from /proc. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/**
 * Samples a process tree's memory while `work` runs and counts the CPU time it and the
 * other `watched` processes used: on 2 shared cores, where the time goes matters as much as
 * the requests/s.
 */
export async function withResourceUse<T>(
  pid: number | undefined,
  watched: Record<string, number>,
  work: () => Promise<T>,
  everyMs = 500,
): Promise<{ result: T; peakRssMb?: number; cpuSeconds: Record<string, number> }> {
  const all = { ...(pid === undefined ? {} : { gateway: pid }), ...watched };
  const before = Object.fromEntries(Object.entries(all).map(([name, p]) => [name, treeCpuSeconds(p)]));
  const harnessBefore = process.cpuUsage();
  let peak = pid === undefined ? 0 : treeRssMb(pid);
  const timer = pid === undefined ? undefined : setInterval(() => (peak = Math.max(peak, treeRssMb(pid))), everyMs);
  try {
    const result = await work();
    if (pid !== undefined) peak = Math.max(peak, treeRssMb(pid));
    const harness = process.cpuUsage(harnessBefore);
    const cpuSeconds = Object.fromEntries(Object.entries(all).map(([name, p]) => [name, Math.round((treeCpuSeconds(p) - before[name]!) * 100) / 100]));
    cpuSeconds.harness = Math.round((harness.user + harness.system) / 10_000) / 100;
    return { result, peakRssMb: pid === undefined ? undefined : Math.round(peak), cpuSeconds };
  } finally {
    if (timer) clearInterval(timer);
  }
}
