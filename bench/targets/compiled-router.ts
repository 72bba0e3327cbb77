import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** Where scripts/routers/build.sh installs the compiled peers. */
export const ROUTER_BIN_DIR = ".run/routers/bin";

/**
 * Runs a compiled router as the child of this small process, which the harness treats like
 * any other target: it prints `BENCH_READY {url}` once the router answers its health check
 * and stops the router when told to stop. The router is the only thing here doing work, and
 * the harness counts the CPU of this whole process tree as the gateway's.
 */
export async function runCompiledRouter(options: {
  name: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
  healthUrl: string;
  graphqlUrl: string;
  timeoutMs?: number;
}): Promise<void> {
  if (!existsSync(options.binary)) throw new Error(`${options.binary} is missing: build it with scripts/routers/build.sh`);
  // Only what the router needs: an inherited LOG_LEVEL or PORT means something else to it.
  const child = spawn(options.binary, options.args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...options.env }, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = () => {
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    void exited.then(() => {
      clearTimeout(killer);
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  void exited.then((code) => {
    console.error(`${options.name} exited with ${code}`);
    process.exit(1);
  });

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    const healthy = await fetch(options.healthUrl, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (healthy) {
      process.stdout.write(`BENCH_READY ${JSON.stringify({ url: options.graphqlUrl })}\n`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`${options.name} did not answer ${options.healthUrl} within ${options.timeoutMs ?? 60_000} ms`);
}
