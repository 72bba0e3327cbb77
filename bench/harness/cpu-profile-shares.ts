// Where a process's busy time went, from the V8 CPU profiles a benchmark had it write
// (BENCH_CPU_PROFILE_DIR), by package: each sample goes to the nearest frame of a package in
// node_modules or of this repository (node's own and native frames, socket writes among them,
// go to the frame that called them), and, inclusive, to every package on its stack.
//
//   npx tsx bench/harness/cpu-profile-shares.ts <file.cpuprofile | folder> [--from µs] [--to µs] [--top 20]
//
// --from/--to: a window on the profile's clock (monotonic microseconds, as
// `process.hrtime.bigint() / 1000n` reads it; checkout-throughput prints its checkouts' span).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The socket-writing natives: a write wakes the process at the other end of the socket. */
const SOCKET_WRITES = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "writeAsciiString"]);
/** Samples that are not the process working. */
const NOT_BUSY = new Set(["(idle)", "(program)"]);

/** The package a script belongs to, "this repository" for the project's code, or undefined (node's own, native). */
export function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf("node_modules/");
  if (at >= 0) {
    const parts = url.slice(at + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url === "" || url.startsWith("node:")) return undefined;
  return "this repository";
}

export interface Shares {
  busyMs: number;
  /** Busy ms by the nearest package frame (a socket write named apart, after its caller). */
  nearest: Map<string, number>;
  /** Busy ms by every package on the stack, each counted once a sample. */
  inclusive: Map<string, number>;
}

/** Busy time of one profile in [from, to] by package. */
export function sharesOf(profile: CpuProfile, from = -Infinity, to = Infinity): Shares {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nearestOf = new Map<number, string>();
  const inclusiveOf = new Map<number, string[]>();
  const classify = (id: number) => {
    if (nearestOf.has(id)) return;
    const leaf = byId.get(id)!.callFrame.functionName;
    const packages: string[] = [];
    let nearest: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = packageOf(byId.get(at)!.callFrame.url);
      if (!name) continue;
      nearest ??= name;
      if (!packages.includes(name)) packages.push(name);
    }
    if (leaf === "(garbage collector)") nearest = "GC";
    else if (NOT_BUSY.has(leaf)) nearest = leaf;
    else if (SOCKET_WRITES.has(leaf)) nearest = `${nearest ?? "node"} (socket writes)`;
    nearestOf.set(id, nearest ?? `node: ${leaf || "(anonymous)"}`);
    inclusiveOf.set(id, packages);
  };
  const nearest = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    if (at < from || at > to) continue;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const id = profile.samples[i]!;
    classify(id);
    const name = nearestOf.get(id)!;
    if (NOT_BUSY.has(name)) continue;
    busyMs += ms;
    nearest.set(name, (nearest.get(name) ?? 0) + ms);
    for (const pkg of inclusiveOf.get(id)!) inclusive.set(pkg, (inclusive.get(pkg) ?? 0) + ms);
  }
  return { busyMs, nearest, inclusive };
}

/** The largest profile of a folder (the main thread's; workers and the loader write small ones). */
function mainProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(path, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${path}`);
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: "string" }, to: { type: "string" }, top: { type: "string", default: "20" } } });
  for (const path of positionals) {
    const file = mainProfile(path);
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const shares = sharesOf(profile, values.from ? Number(values.from) : -Infinity, values.to ? Number(values.to) : Infinity);
    const top = Number(values.top);
    const lines = (byName: Map<string, number>) =>
      [...byName].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => `  ${name.padEnd(40)} ${ms.toFixed(0).padStart(7)} ms ${((ms / shares.busyMs) * 100).toFixed(1).padStart(5)}%`);
    console.log(`${file}: ${shares.busyMs.toFixed(0)} ms busy in the window`);
    console.log(" nearest package frame:");
    for (const line of lines(shares.nearest)) console.log(line);
    console.log(" inclusive (every package on the stack):");
    for (const line of lines(shares.inclusive)) console.log(line);
  }
}
