import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// A test measures what a structure holds by the heap's growth around it, so garbage must be
// gone before each reading: the collector is exposed once, for the process.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export const MB = 1024 * 1024;

/** The heap in use once two collections ran (the second clears what the first's finalizers freed). */
export function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
