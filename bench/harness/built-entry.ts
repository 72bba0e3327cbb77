import { rm } from "node:fs/promises";
import path from "node:path";
import { buildServer } from "../../scripts/build-server.js";

/** How a measured process runs its TypeScript: built by esbuild first (as production runs), or through tsx. */
export type EntryRunner = "bundle" | "tsx";

/** The runner named by `BENCH_RUNNER` (`bundle` unless it says `tsx`). */
export function runnerFromEnv(env: Record<string, string | undefined> = process.env): EntryRunner {
  const named = env.BENCH_RUNNER ?? "bundle";
  if (named !== "bundle" && named !== "tsx") throw new Error(`BENCH_RUNNER must be bundle or tsx, not ${named}`);
  return named;
}

let builds = 0;

/**
 * Node's arguments that run `entry`: with `bundle`, the entry built into a folder of its own
 * under dist/bench (inside the repository, so its packages resolve from node_modules as the
 * production build's do), removed by `cleanup`.
 */
export async function entryArguments(entry: string, runner: EntryRunner): Promise<{ args: string[]; cleanup(): Promise<void> }> {
  if (runner === "tsx") return { args: ["--import", "tsx", entry], cleanup: async () => {} };
  const name = path.basename(entry).replace(/\.tsx?$/, "");
  const outdir = `dist/bench/${name}-${process.pid}-${++builds}`;
  await buildServer({ outdir, entries: { [name]: entry } });
  return { args: [path.resolve(outdir, `${name}.js`)], cleanup: () => rm(outdir, { recursive: true, force: true }) };
}
