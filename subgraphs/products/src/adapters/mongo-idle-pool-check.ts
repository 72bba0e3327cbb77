import { createRequire } from "node:module";

/** The part of the MongoDB driver's connection pool the change below touches. */
interface ConnectionPool {
  options: { minPoolSize: number; maxIdleTimeMS: number; minPoolSizeCheckFrequencyMS: number };
  ensureMinPoolSize(this: ConnectionPool): void;
}

const APPLIED = Symbol.for("storefront.mongodb.idlePoolCheck");
/** How often a pool with nothing to keep up checks itself. */
export const IDLE_POOL_CHECK_MS = 10_000;

/**
 * The MongoDB driver checks every connection pool every 100 ms, for ever, to top it up to
 * `minPoolSize` and drop connections past `maxIdleTimeMS` (a setting the driver does not let a
 * client change). Our pools keep neither a minimum nor an idle limit, so each check only drops
 * connections already closed or from before a pool clear, which taking a connection out drops
 * too: the three pools of the products subgraph woke an idle process 30 times a second for
 * that. Such pools now check every 10 s; a pool with a minimum or an idle limit keeps the
 * driver's period. Applied once per process, to the module instance the driver itself loads.
 */
export function slowIdlePoolChecks(): void {
  const require = createRequire(import.meta.url);
  const { ConnectionPool: PoolClass } = require("mongodb/lib/cmap/connection_pool.js") as { ConnectionPool: { prototype: ConnectionPool & { [APPLIED]?: true } } };
  const proto = PoolClass.prototype;
  if (proto[APPLIED]) return;
  proto[APPLIED] = true;
  const ensure = proto.ensureMinPoolSize;
  proto.ensureMinPoolSize = function (this: ConnectionPool) {
    const options = this.options;
    if (options.minPoolSize === 0 && options.maxIdleTimeMS === 0 && options.minPoolSizeCheckFrequencyMS < IDLE_POOL_CHECK_MS) {
      // The driver freezes its options; a copy with the longer period replaces them.
      this.options = Object.freeze({ ...options, minPoolSizeCheckFrequencyMS: IDLE_POOL_CHECK_MS });
    }
    ensure.call(this);
  };
}
