import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startReservationSweeper } from "../../src/domain/reservation-sweeper.js";

/** Holds with their expiry times on the real clock, and how often the sweeper looked. */
function holdsOnTheClock() {
  const holds = new Map<string, number>();
  const expired = new Map<string, number>();
  const calls = { looks: 0, sweeps: 0 };
  return {
    holds,
    expired,
    calls,
    hold: (id: string, ttlMs: number) => holds.set(id, Date.now() + ttlMs),
    async expireDue(limit: number): Promise<number> {
      calls.sweeps += 1;
      const due = [...holds].filter(([, at]) => at <= Date.now()).slice(0, limit);
      for (const [id] of due) {
        holds.delete(id);
        expired.set(id, Date.now());
      }
      return due.length;
    },
    async untilNextExpiry(): Promise<number | null> {
      calls.looks += 1;
      return holds.size === 0 ? null : Math.min(...holds.values()) - Date.now();
    },
  };
}

describe("the reservation sweeper", () => {
  it("looks about once a TTL while nothing is held, not every interval", async () => {
    const store = holdsOnTheClock();
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, idleMs: 10_000, batchSize: 10, logger: createLogger("silent") });
    try {
      await delay(400);
      assert.equal(store.calls.looks, 1, "the look at start, then asleep (a 20 ms interval alone would be 20)");
      assert.equal(store.calls.sweeps, 0, "nothing due, no sweep transaction");
    } finally {
      await sweeper.stop();
    }
  });

  it("wakes when the earliest hold expires, and never expires one early", async () => {
    const store = holdsOnTheClock();
    store.hold("soon", 150);
    store.hold("later", 300);
    const expiresAt = new Map(store.holds);
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, idleMs: 10_000, batchSize: 10, logger: createLogger("silent") });
    try {
      await waitFor("both holds expired", () => store.expired.size === 2, { timeoutMs: 5_000 });
      for (const [id, at] of store.expired) {
        assert.ok(at >= expiresAt.get(id)!, `${id} not before its time`);
        assert.ok(at - expiresAt.get(id)! < 1_000, `${id} soon after its time (${at - expiresAt.get(id)!} ms)`);
      }
      assert.ok(store.calls.looks <= 6, `a few looks, not one every 20 ms (${store.calls.looks})`);
    } finally {
      await sweeper.stop();
    }
  });

  it("finds a hold made while it sleeps, by waking no later than a TTL after its last look", async () => {
    const store = holdsOnTheClock();
    const ttlMs = 200;
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, idleMs: ttlMs, batchSize: 10, logger: createLogger("silent") });
    try {
      await delay(50);
      store.hold("made-while-asleep", ttlMs);
      const expiresAt = store.holds.get("made-while-asleep")!;
      await waitFor("the hold made while asleep expired", () => store.expired.has("made-while-asleep"), { timeoutMs: 5_000 });
      const late = store.expired.get("made-while-asleep")! - expiresAt;
      assert.ok(late >= 0 && late < 1_000, `expired ${late} ms after its time`);
    } finally {
      await sweeper.stop();
    }
  });

  it("sweeps in batches until none is due, and retries after a failed look", async () => {
    const store = holdsOnTheClock();
    for (let i = 0; i < 25; i++) store.hold(`h${i}`, -1);
    let failOnce = true;
    const sweeper = startReservationSweeper({
      ...store,
      untilNextExpiry: () => (failOnce ? ((failOnce = false), Promise.reject(new Error("database away"))) : store.untilNextExpiry()),
      intervalMs: 20,
      idleMs: 10_000,
      batchSize: 10,
      logger: createLogger("silent"),
    });
    try {
      await waitFor("all 25 expired", () => store.expired.size === 25, { timeoutMs: 5_000 });
      assert.equal(store.calls.sweeps, 3, "10 + 10 + 5");
    } finally {
      await sweeper.stop();
    }
  });
});
