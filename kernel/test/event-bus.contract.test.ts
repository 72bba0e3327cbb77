import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EmbeddedEventBus } from "#kernel";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { defineEventBusContract } from "#kernel/contracts/event-bus.contract.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { newEvent } from "#kernel/events/new-event.ts";

defineEventBusContract("embedded", async () => new EmbeddedEventBus({ maxBackoffMs: 50 }));

describeWithRealEngine({ suite: "EventBus contract", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  defineEventBusContract(
    "kafka",
    async () => new KafkaEventBus({ brokers: brokers.split(",").map((b) => b.trim()), clientId: "contract-test", maxBackoffMs: 50 }),
  );
});

describe("KafkaEventBus without a reachable broker", () => {
  it("rejects a publish within its publish timeout, so an outbox relay can retry later", async () => {
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    const bus = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "contract-test", publishTimeoutMs: 3_000 });
    const started = Date.now();
    await assert.rejects(bus.publish("contract.unreachable", [newEvent("contract.tested", "k", {})]));
    assert.ok(Date.now() - started < 4_000, `rejected after ${Date.now() - started} ms`);
    await bus.close();
  });
});
