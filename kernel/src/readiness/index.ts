// The readiness of a process (its engines, its stop): what /readyz answers.
export * from "./engine-readiness.js";
export * from "./engine-probes.js";
export * from "./shutdown-delay.js";
export * from "./platform-probes.js";
export * from "./subgraph-readiness.js";
