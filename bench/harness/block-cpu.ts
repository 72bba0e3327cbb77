import { processCpuMs } from "../scale/platform-process.js";

/** What the blocks of one shape cost so far: CPU of this process and of the database backend, wall time, calls. */
export interface BlockTotals {
  node: number;
  backend: number;
  wall: number;
  n: number;
}

export const emptyTotals = (): BlockTotals => ({ node: 0, backend: 0, wall: 0, n: 0 });

/**
 * Runs one block of `calls` calls and adds what it cost to `total`: this process's CPU, the
 * CPU of the PostgreSQL backend serving its one connection (`backendPid`), and wall time.
 */
export async function measureBlock(total: BlockTotals, backendPid: number, calls: number, work: () => Promise<void>): Promise<void> {
  const [cpu, backend, started] = [process.cpuUsage(), await processCpuMs(backendPid), performance.now()];
  await work();
  const used = process.cpuUsage(cpu);
  total.node += (used.user + used.system) / 1000;
  total.backend += (await processCpuMs(backendPid)) - backend;
  total.wall += performance.now() - started;
  total.n += calls;
}

/** One line per shape: each figure per call. */
export const perCall = (name: string, t: BlockTotals, unit: string) =>
  `${name}: node ${(t.node / t.n).toFixed(3)} ms, backend ${(t.backend / t.n).toFixed(3)} ms, wall ${(t.wall / t.n).toFixed(3)} ms per ${unit}`;
