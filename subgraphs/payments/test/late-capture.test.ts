import { describeWithRealEngine } from "#kernel/testing";
import { defineLateCaptureScenarios } from "./late-capture.scenarios.js";

defineLateCaptureScenarios("embedded-postgres + embedded bus", () => ({ database: "embedded", bus: { kind: "embedded" } }));

describeWithRealEngine({ suite: "Captures on failed payments", engine: "postgresql", variable: "DATABASE_URL" }, () => {
  describeWithRealEngine({ suite: "Captures on failed payments", engine: "postgresql + kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
    defineLateCaptureScenarios("postgresql + kafka", () => ({ database: "real", bus: { kind: "kafka", brokers } }), { timeoutMs: 45_000 });
  });
});
