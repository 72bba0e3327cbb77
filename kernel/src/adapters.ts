// The kernel's real-engine adapters: kept out of `index.ts` so a process that runs on the
// embedded adapters never loads kafkajs or ioredis. Add exports here with intention.
export * from "./events/kafka-event-bus.js";
export * from "./cache/redis-key-value-store.js";
export * from "./objects/s3-object-store.js";
