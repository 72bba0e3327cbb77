/**
 * Warm-up until a target's throughput stops rising: JIT tiers, connection pools, query-plan
 * caches and the allocator all settle at their own pace, and a Node gateway still climbing
 * when measured makes every ratio against it look better than it is.
 */
export interface WarmUpOptions {
  sliceSeconds: number;
  /** Stop here even if still rising (reported as not flat). */
  maxSeconds: number;
  /** A new best this much above the earlier best counts as still rising. */
  tolerance?: number;
}

export interface WarmUpResult {
  /** Requests/s of each slice, in order. */
  slices: number[];
  flat: boolean;
}

/**
 * Flat once the last two slices set no new best more than `tolerance` above the best of the
 * slices before them (at least three slices: one to compare against, two that did not rise).
 */
export function stoppedRising(slices: number[], tolerance = 0.05): boolean {
  if (slices.length < 3) return false;
  const earlierBest = Math.max(...slices.slice(0, -2));
  const recentBest = Math.max(...slices.slice(-2));
  return recentBest <= earlierBest * (1 + tolerance);
}

/** Runs `slice` (one load run, returning its requests/s) until flat or out of time. */
export async function warmUpUntilFlat(slice: (seconds: number) => Promise<number>, options: WarmUpOptions, onSlice?: (rps: number, index: number) => void): Promise<WarmUpResult> {
  const slices: number[] = [];
  const most = Math.max(3, Math.floor(options.maxSeconds / options.sliceSeconds));
  while (slices.length < most) {
    const rps = await slice(options.sliceSeconds);
    slices.push(rps);
    onSlice?.(rps, slices.length);
    if (stoppedRising(slices, options.tolerance)) return { slices, flat: true };
  }
  return { slices, flat: false };
}
