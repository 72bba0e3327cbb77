import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { SUBGRAPH_NAMES } from "#kernel";
import { freePort } from "../harness/bench-environment.js";
import { entryArguments, runnerFromEnv } from "../harness/built-entry.js";

export interface PlatformProcess {
  pid: number;
  gatewayUrl: string;
  /** What `npm start` printed: its own "ready in" figure, and the whole banner. */
  readySeconds: number;
  banner: string;
  /** From spawning the process to the banner (includes loading the code). */
  wallSeconds: number;
  stop(): Promise<void>;
}

/**
 * `npm start` (scripts/start.ts built, or through tsx with `BENCH_RUNNER=tsx`) as a process of
 * its own, on free ports, with `env`: the platform exactly as a user starts it (`nodeArgs` e.g. `--cpu-prof`). Resolves once it
 * printed its banner.
 */
export async function startPlatformProcess(env: Record<string, string | undefined>, logFile: string, nodeArgs: string[] = []): Promise<PlatformProcess> {
  const ports: Record<string, string> = { GATEWAY_PORT: String(await freePort()), PAYMENT_SIMULATOR_PORT: String(await freePort()) };
  for (const name of SUBGRAPH_NAMES) ports[`${name.toUpperCase()}_PORT`] = String(await freePort());
  await mkdir(logFile.replace(/\/[^/]+$/, ""), { recursive: true });
  const log = createWriteStream(logFile);
  // From before the build, as `npm start` builds first.
  const startedAt = performance.now();
  const entry = await entryArguments("scripts/start.ts", runnerFromEnv(env));
  // node itself (not npm, not npx): one process, whose CPU /proc reports.
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...entry.args], { env: { ...env, ...ports }, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.pipe(log);
  let stdout = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))).finally(() => entry.cleanup());
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      log.write(chunk);
      // The banner ends with an empty line after the subgraph list (development adds tokens).
      if (/ready in [\d.]+s[\s\S]*Subgraphs[\s\S]*\n\n/.test(stdout)) resolve();
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code} before it was ready; see ${logFile}`)));
  });
  await Promise.race([ready, delay(600_000).then(() => Promise.reject(new Error("npm start not ready in 10 min")))]);
  const wallSeconds = (performance.now() - startedAt) / 1000;
  return {
    pid: child.pid!,
    gatewayUrl: `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`,
    readySeconds: Number(/ready in ([\d.]+)s/.exec(stdout)![1]),
    // Without the development tokens (working credentials, even if only for a bench).
    banner: (stdout.includes("\nDevelopment tokens") ? stdout.slice(0, stdout.indexOf("\nDevelopment tokens")) : stdout).trim(),
    wallSeconds,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, delay(30_000).then(() => child.kill("SIGKILL"))]);
      log.end();
    },
  };
}

/** CPU time (user + system) a process used so far, in milliseconds, from /proc/<pid>/stat. */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces, hence from the last ")"): utime is
  // the 14th field and stime the 15th of the whole line, in clock ticks (100 a second here).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
