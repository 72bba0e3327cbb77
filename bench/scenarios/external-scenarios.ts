import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/**
 * Scenario scripts other parts of the platform own (`inventory-*`, `checkout-*`, `search-*`,
 * `catalog-*`, and any other top-level script here but this harness), run as they are. A
 * script is one when its header documents its own command (`npx tsx bench/<file>`); the
 * other files beside them are their modules.
 */
const EXTERNAL = /^[a-z][\w-]*(\.bench)?\.ts$/;
const HARNESS = new Set(["run.ts"]);
const isStandalone = (dir: string, entry: string) => readFileSync(`${dir}/${entry}`, "utf8").slice(0, 2_000).includes(`npx tsx bench/${entry}`);

export interface ExternalScenarioResult {
  name: string;
  file: string;
  exitCode: number | null;
  seconds: number;
  /** What the script printed (its own table). */
  output: string;
}

/** The owners' scripts: every top-level `bench/*.ts` but the harness's own. */
export function externalScenarioFiles(dir = "bench"): { name: string; file: string }[] {
  return readdirSync(dir)
    .filter((entry) => EXTERNAL.test(entry) && !HARNESS.has(entry) && isStandalone(dir, entry))
    .sort()
    .map((entry) => ({ name: entry.replace(/(\.bench)?\.ts$/, ""), file: `${dir}/${entry}` }));
}

/**
 * Runs one owner's scenario script standalone (`tsx bench/<name>.ts`), with the engines of
 * the run in its environment, and keeps what it printed. Its logic, rig and checks are its
 * owner's; the harness adds the timing, the machine and the record.
 */
export async function runExternalScenario(scenario: { name: string; file: string }, env: Record<string, string | undefined>, timeoutMs = 15 * 60_000): Promise<ExternalScenarioResult> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", scenario.file], { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  clearTimeout(timer);
  // Logs go to stderr; only a failure's last lines are worth keeping.
  if (exitCode !== 0) output += `\n(exit ${exitCode}) ${errors.split("\n").slice(-15).join("\n")}`;
  return { ...scenario, exitCode, seconds: Math.round((performance.now() - startedAt) / 1000), output: output.trim() };
}
