import { readFileSync } from "node:fs";

/** The process's soft limit on open files (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Client sockets a server of this process may hold by default (see `maxConnectionsFor`). */
export function defaultMaxConnections(): number {
  return maxConnectionsFor(openFileLimit());
}

/**
 * Four fifths of the open-file limit, the rest kept for the process's own connections
 * (subgraphs, engine pools, files), at most 50,000; 10,000 where the limit is unknown.
 */
export function maxConnectionsFor(limit: number | undefined): number {
  if (limit === undefined) return 10_000;
  const reserve = Math.max(256, Math.ceil(limit / 5));
  return Math.min(50_000, Math.max(64, limit - reserve));
}
