import { spawn } from "node:child_process";
import { httpOrigin, type Logger } from "#kernel";
import { planFleet, type FleetOptions, type FleetPlan } from "./fleet-plan.js";
import { superviseFleet, type FleetSupervisor } from "./fleet-supervisor.js";

export interface StartFleetOptions {
  options: FleetOptions;
  /** Engine URLs, secrets and settings every process gets. */
  env: Record<string, string | undefined>;
  logDir: string;
  logger: Logger;
  /** How long the whole fleet may take to answer. */
  readyTimeoutMs?: number;
}

export interface RunningFleet {
  plan: FleetPlan;
  supervisor: FleetSupervisor;
  /** Resolves once the process answers its health route again (after a restart, say). */
  waitHealthy(name: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Seeds the shared engines once, starts every process of the plan under the supervisor, and
 * resolves when each one answers its health route and every gateway reports ready (each
 * subgraph reachable through it).
 */
export async function startFleet({ options, env, logDir, logger, readyTimeoutMs = 180_000 }: StartFleetOptions): Promise<RunningFleet> {
  const plan = planFleet(options);
  const shared = { ...env, ...plan.processes[0]!.env };
  // A seed that failed before writing (an engine slow to answer at start) is tried again; one
  // that wrote part of the catalog is not repeated, since seeding only fills an empty catalog.
  for (let attempt = 1; ; attempt++) {
    try {
      await runSeed({ ...shared, KAFKA_CLIENT_ID: "storefront-fleet-seed" });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      logger.warn("seeding the fleet failed; trying again", { attempt, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const supervisor = superviseFleet({ processes: plan.processes, env, logDir, logger });
  const healthUrl = (name: string) => {
    const spec = supervisor.processes.get(name)?.spec;
    if (!spec) throw new Error(`No fleet process ${name}`);
    return `${httpOrigin(options.host, spec.port)}/healthz`;
  };
  const waitHealthy = async (name: string, timeoutMs = 60_000) => {
    const url = healthUrl(name);
    await waitFor(`${name} answers ${url}`, () => answers(url), { timeoutMs, intervalMs: 100 });
  };
  try {
    const deadline = Date.now() + readyTimeoutMs;
    await Promise.all(plan.processes.map((spec) => waitHealthy(spec.name, readyTimeoutMs)));
    for (const gateway of plan.gatewayUrls) {
      const readyz = gateway.replace(/\/graphql$/, "/readyz");
      await waitFor(`${readyz} reports ready`, () => answers(readyz), { timeoutMs: Math.max(1_000, deadline - Date.now()), intervalMs: 200 });
    }
  } catch (error) {
    await supervisor.stop(2_000);
    throw error;
  }
  return { plan, supervisor, waitHealthy, stop: () => supervisor.stop() };
}

/** Polls `check` until it holds; fails with `what` once `timeoutMs` is over. */
async function waitFor(what: string, check: () => Promise<boolean>, { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function runSeed(env: Record<string, string | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "platform/fleet/seed-fleet.ts"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4_000)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`seeding the fleet failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join("\n")}`))));
  });
}
