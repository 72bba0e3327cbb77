// Test infrastructure shared by every package's tests: add exports here with intention.
export * from "./wait-for.js";
export * from "./real-engine.js";
export * from "./runs-in-ci.js";
export * from "./namespaced-event-bus.js";
export * from "./platform-over.js";
export * from "./cuttable-proxy.js";
export * from "./throwaway-redis.js";
export * from "./silenceable-sockets.js";
export * from "./connection-send-queue.js";
