import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EmbeddedKeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { JournaledKeyValueStore } from "#kernel/cache/journaled-key-value-store.ts";
import { defineKeyValueStoreContract } from "#kernel/contracts/key-value-store.contract.ts";
import { describeWithRealEngine } from "#kernel/testing";

defineKeyValueStoreContract("embedded", async () => new EmbeddedKeyValueStore());
// Every key kept, so each write also goes through the journal.
defineKeyValueStoreContract("embedded, journaled", async () =>
  JournaledKeyValueStore.open(await mkdtemp(join(tmpdir(), "kv-contract-")), { keptPrefixes: [""] }),
);

describeWithRealEngine({ suite: "KeyValueStore contract", engine: "redis", variable: "REDIS_URL" }, (url) => {
  defineKeyValueStoreContract("redis", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    return store;
  });
});

describe("RedisKeyValueStore without a reachable server", () => {
  it("rejects ping and commands at once, so callers can fall back", async () => {
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    const store = new RedisKeyValueStore("redis://127.0.0.1:9", { connectTimeoutMs: 2_000 });
    await assert.rejects(store.connect());
    const started = Date.now();
    await assert.rejects(store.ping());
    await assert.rejects(store.get("any"));
    await assert.rejects(store.increment("any", 1));
    // At once: well under the 2 s a command waiting for a connection would take.
    assert.ok(Date.now() - started < 1_000, `rejected after ${Date.now() - started} ms`);
    await store.close();
  });
});
