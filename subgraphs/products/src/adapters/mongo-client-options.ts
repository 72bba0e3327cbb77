import type { MongoClientOptions } from "mongodb";

/** What every MongoDB client of the products subgraph is opened with. */
export function mongoClientOptions(maxPoolSize: number): MongoClientOptions {
  return {
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize,
    // The driver asks each server `hello` every 10 s by default, per client, to follow its state.
    // An operation failing on a lost connection marks the server unknown and checks it at once
    // anyway, so the periodic check only serves an idle process: every 30 s is enough.
    heartbeatFrequencyMS: 30_000,
  };
}
