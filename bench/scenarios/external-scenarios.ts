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
const header = (dir: string, entry: string) => readFileSync(`${dir}/${entry}`, "utf8").slice(0, 2_000);
const isStandalone = (dir: string, entry: string) => header(dir, entry).includes(`npx tsx bench/${entry}`);

/**
 * Scripts a run without scenario names leaves out (`npm run bench -- <name>` runs one, with
 * its defaults): each measures a dataset at the design's size, loading it first or working on
 * one made before, and its defaults name that dataset. Run bare, catalog-at-scale and
 * supergraph-at-scale would load 1,000,000 products (longer than the 15 minutes a script gets,
 * and supergraph-at-scale beside the shared scale_600), listing-writes-at-scale would write into
 * catalog_1m's listings, and orders-at-scale and stock-mirror-rebuild would measure the run's
 * own small database.
 */
export const NAMED_ONLY: ReadonlySet<string> = new Set(["catalog-at-scale", "catalog-listings-at-scale", "listing-writes-at-scale", "orders-at-scale", "stock-mirror-rebuild", "supergraph-at-scale"]);
/** What a header documents that marks a script for NAMED_ONLY (test/bench/read-bench-harness.test.ts). */
export const DESIGN_SIZE_DATASET = /--products 1\d{5,}|--database|orders_10m/;
export const documentsDesignSizeDataset = (dir: string, entry: string) => DESIGN_SIZE_DATASET.test(header(dir, entry));

export interface ExternalScenarioResult {
  name: string;
  file: string;
  exitCode: number | null;
  seconds: number;
  /** What the script printed (its own table). */
  output: string;
}

/** The owners' scripts: every top-level `bench/*.ts` but the harness's own. */
export function externalScenarioFiles(dir = "bench"): { name: string; file: string; namedOnly: boolean }[] {
  return readdirSync(dir)
    .filter((entry) => EXTERNAL.test(entry) && !HARNESS.has(entry) && isStandalone(dir, entry))
    .sort()
    .map((entry) => {
      const name = entry.replace(/(\.bench)?\.ts$/, "");
      return { name, file: `${dir}/${entry}`, namedOnly: NAMED_ONLY.has(name) };
    });
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
