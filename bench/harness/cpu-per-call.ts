/**
 * This process's CPU time (user + system) per call of each way of making the same call,
 * alternately round after round in one run, so a loaded machine weighs on every way alike.
 * Each round warms up first (JIT, connections); a call answering false stops the run.
 */
export async function compareCpuPerCall(options: {
  callers: Record<string, (key: string) => Promise<boolean>>;
  calls: number;
  rounds: number;
  inFlight: number;
  /** What one call is, for the printed lines ("charge", "call"). */
  unit: string;
}): Promise<Map<string, number[]>> {
  const figures = new Map<string, number[]>();
  const width = Math.max(...Object.keys(options.callers).map((name) => name.length));
  const tag = Date.now().toString(36);
  for (let r = 1; r <= options.rounds; r++) {
    for (const [name, call] of Object.entries(options.callers)) {
      let next = 0;
      const runAll = (count: number, prefix: string) =>
        Promise.all(
          Array.from({ length: options.inFlight }, async () => {
            while (next < count) {
              const key = `${prefix}-${next++}`;
              if (!(await call(key))) throw new Error(`${name}: ${options.unit} ${key} was not answered as expected`);
            }
          }),
        );
      const prefix = `${tag}-${r}-${name.length}`;
      await runAll(300, `${prefix}-warm`);
      next = 0;
      const before = process.cpuUsage();
      await runAll(options.calls, prefix);
      const used = process.cpuUsage(before);
      const us = (used.user + used.system) / options.calls;
      figures.set(name, [...(figures.get(name) ?? []), us]);
      console.log(`round ${r}: ${name.padEnd(width)} ${us.toFixed(0).padStart(6)} µs CPU a ${options.unit}`);
    }
  }
  for (const [name, values] of figures) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(`median: ${name.padEnd(width)} ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0).padStart(6)} µs CPU a ${options.unit}`);
  }
  return figures;
}
