import type { MongoClientOptions } from "mongodb";

/** Past a read's engine deadline (maxTimeMS), how long the client still waits for its answer. */
const ANSWER_MARGIN_MS = 10_000;
/** How long an operation waits for a pooled connection when every one is busy. */
const POOL_WAIT_MS = 5_000;

/**
 * What every MongoDB client of the products subgraph is opened with. `queryTimeoutMs` is the
 * deadline its reads send as maxTimeMS; the engine enforces that one only while it works, so
 * the client also bounds its own wait for an answer (socketTimeoutMS, armed only while an
 * operation awaits its reply) and for a pooled connection. Without them a connection whose
 * path went silent (a hung FerretDB, a firewall that lost the connection's state) held its
 * operation and its pool slot for ever, and every read queued behind the pool's busy slots.
 * Past either bound the driver closes that connection and the caller gets a network timeout or
 * a wait-queue timeout: SERVICE_UNAVAILABLE, retry.
 */
export function mongoClientOptions(maxPoolSize: number, queryTimeoutMs: number): MongoClientOptions {
  return {
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize,
    socketTimeoutMS: queryTimeoutMs + ANSWER_MARGIN_MS,
    waitQueueTimeoutMS: POOL_WAIT_MS,
    // The driver asks each server `hello` every 10 s by default, per client, to follow its state.
    // An operation failing on a lost connection marks the server unknown and checks it at once
    // anyway, so the periodic check only serves an idle process: every 30 s is enough.
    heartbeatFrequencyMS: 30_000,
  };
}
