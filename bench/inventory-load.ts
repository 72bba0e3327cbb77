// Closed-loop load for the inventory benchmark: `concurrency` workers each await one
// operation at a time for a fixed duration, timing every call. In-process, so the same
// runner drives a Redis command, a SQL statement, a service call or an HTTP request.

export interface LoadOutcome {
  label: string;
  ops: number;
  /** Calls that failed in a way the scenario did not expect. */
  errors: number;
  firstError?: string;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  label: string;
  concurrency: number;
  seconds: number;
  /** One operation; `n` counts calls across workers, for picking keys. Throw only on a real error. */
  op: (n: number) => Promise<unknown>;
  /** Untimed calls first (connections, JIT, caches). */
  warmupSeconds?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function drive(concurrency: number, seconds: number, op: (n: number) => Promise<unknown>, timings?: number[]) {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await op(n++);
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
      timings?.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { elapsed: (performance.now() - started) / 1000, errors, firstError };
}

export async function runLoad({ label, concurrency, seconds, op, warmupSeconds = 0.5 }: LoadOptions): Promise<LoadOutcome> {
  if (warmupSeconds > 0) await drive(concurrency, warmupSeconds, op);
  const timings: number[] = [];
  const { elapsed, errors, firstError } = await drive(concurrency, seconds, op, timings);
  const sorted = Float64Array.from(timings).sort();
  return {
    label,
    ops: timings.length,
    errors,
    firstError,
    opsPerSecond: Math.round(timings.length / elapsed),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/** A plain-text table, one row per outcome; a section title is a row with only a label. */
export function formatTable(rows: (LoadOutcome | string)[]): string {
  const header = ["scenario", "ops/s", "p50 ms", "p99 ms", "ops", "errors"];
  const lines = rows.map((row) =>
    typeof row === "string" ? [row] : [row.label, String(row.opsPerSecond), row.p50Ms.toFixed(2), row.p99Ms.toFixed(2), String(row.ops), String(row.errors)],
  );
  const width = (i: number) => Math.max(header[i]!.length, ...lines.filter((l) => l.length > 1).map((l) => l[i]!.length));
  const render = (cells: string[]) => (cells.length === 1 ? `-- ${cells[0]}` : cells.map((cell, i) => (i === 0 ? cell.padEnd(width(0)) : cell.padStart(width(i)))).join("  "));
  return [render(header), ...lines.map(render)].join("\n");
}
