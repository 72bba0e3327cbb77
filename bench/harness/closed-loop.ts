/** Latency figures of one closed-loop measurement, in milliseconds. */
export interface ClosedLoopFigures {
  name: string;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Closed loop: `clients` workers call `op` back to back for `ms` milliseconds; each call's
 * latency counts. `op` gets a running number so workers can spread over keys.
 */
export async function measureClosedLoop(name: string, op: (n: number) => Promise<void>, options: { clients: number; ms: number }): Promise<ClosedLoopFigures> {
  const latencies: number[] = [];
  const endAt = performance.now() + options.ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (performance.now() < endAt) {
        const startedAt = performance.now();
        await op(n++);
        latencies.push(performance.now() - startedAt);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1));
  return { name, ops: latencies.length, perSecond: Math.round(latencies.length / (options.ms / 1000)), p50: at(0.5), p99: at(0.99), max: at(1) };
}
