import { rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
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
 *
 * `root`: another checkout of the project (another version of the code, to measure two in one
 * run), whose entry is built by that checkout's own build script into its own dist/bench.
 */
export async function entryArguments(entry: string, runner: EntryRunner, root?: string): Promise<{ args: string[]; cleanup(): Promise<void> }> {
  if (runner === "tsx") {
    if (root) throw new Error("An entry of another checkout runs built (BENCH_RUNNER=bundle)");
    return { args: ["--import", "tsx", entry], cleanup: async () => {} };
  }
  const name = path.basename(entry).replace(/\.tsx?$/, "");
  const folder = `dist/bench/${name}-${process.pid}-${++builds}`;
  const outdir = root ? path.resolve(root, folder) : folder;
  const build = root ? ((await import(pathToFileURL(path.resolve(root, "scripts/build-server.ts")).href)) as { buildServer: typeof buildServer }).buildServer : buildServer;
  await build({ outdir, entries: { [name]: entry } });
  return { args: [path.resolve(outdir, `${name}.js`)], cleanup: () => rm(outdir, { recursive: true, force: true }) };
}
