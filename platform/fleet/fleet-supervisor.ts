import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Logger } from "#kernel";
import type { FleetProcess } from "./fleet-plan.js";

/** One supervised process: what it is, and what happened to it. */
export interface SupervisedProcess {
  readonly spec: FleetProcess;
  /** The running child's pid, if one runs now. */
  pid(): number | undefined;
  /** Times it was started again after dying. */
  restarts: number;
}

export interface FleetSupervisor {
  processes: ReadonlyMap<string, SupervisedProcess>;
  /** Sends a signal to one process (SIGKILL: the crash a failover test needs); it is restarted. */
  kill(name: string, signal?: NodeJS.Signals): void;
  /** Stops every process (SIGTERM, SIGKILL after `graceMs`) and restarts none. */
  stop(graceMs?: number): Promise<void>;
}

export interface SuperviseOptions {
  processes: FleetProcess[];
  /** Environment every process gets under its own (engine URLs, secrets). */
  env: Record<string, string | undefined>;
  /** One `<name>.log` per process here (its stdout and stderr, appended). */
  logDir: string;
  logger: Logger;
  /** First restart delay, doubled after each quick death up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** A process that stayed up this long was healthy: its next death starts the backoff again. */
const STABLE_AFTER_MS = 30_000;

/**
 * Starts every process of the fleet with `node --import tsx <entry>` and keeps it running: a
 * process that exits without being asked is started again after a delay that doubles while it
 * keeps dying quickly (a crash loop does not eat the machine), each exit and restart logged.
 */
export function superviseFleet(options: SuperviseOptions): FleetSupervisor {
  const { logger } = options;
  const backoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  mkdirSync(options.logDir, { recursive: true });
  let stopping = false;
  const processes = new Map<string, SupervisedProcess>();
  const controls = new Map<string, { cancelRestart(): void; child(): ChildProcess | undefined; log: WriteStream }>();

  for (const spec of options.processes) {
    let child: ChildProcess | undefined;
    let delay = backoffMs;
    let timer: NodeJS.Timeout | undefined;
    const log: WriteStream = createWriteStream(join(options.logDir, `${spec.name}.log`), { flags: "a" });
    const entry: SupervisedProcess = { spec, pid: () => child?.pid, restarts: 0 };
    const start = () => {
      timer = undefined;
      if (stopping) return;
      const startedAt = Date.now();
      const started = spawn(process.execPath, ["--import", "tsx", spec.entry], {
        env: { ...options.env, ...spec.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      started.stdout!.pipe(log, { end: false });
      started.stderr!.pipe(log, { end: false });
      started.once("exit", (code, signal) => {
        if (child === started) child = undefined;
        if (stopping) return;
        if (Date.now() - startedAt > STABLE_AFTER_MS) delay = backoffMs;
        logger.warn("fleet process exited; restarting", { process: spec.name, pid: started.pid, code, signal, restartInMs: delay });
        entry.restarts++;
        timer = setTimeout(start, delay);
        delay = Math.min(maxBackoffMs, delay * 2);
      });
      logger.info("fleet process started", { process: spec.name, pid: started.pid, port: spec.port });
    };
    start();
    processes.set(spec.name, entry);
    controls.set(spec.name, { cancelRestart: () => clearTimeout(timer), child: () => child, log });
  }

  return {
    processes,
    kill(name, signal = "SIGKILL") {
      const entry = processes.get(name);
      if (!entry) throw new Error(`No fleet process ${name}`);
      const pid = entry.pid();
      if (pid !== undefined) process.kill(pid, signal);
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      await Promise.all(
        [...controls.values()].map(async (control) => {
          control.cancelRestart();
          const child = control.child();
          if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            const forced = setTimeout(() => child.kill("SIGKILL"), graceMs);
            await exited;
            clearTimeout(forced);
          }
          await new Promise((resolve) => control.log.end(resolve));
        }),
      );
    },
  };
}
