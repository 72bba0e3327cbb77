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
    async anyDue(): Promise<boolean> {
      calls.looks += 1;
      return [...holds.values()].some((at) => at <= Date.now());
    },
  };
}

describe("the reservation sweeper", () => {
  it("only looks while nothing is due: no sweep transaction", async () => {
    const store = holdsOnTheClock();
    store.hold("later", 60_000);
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, batchSize: 10, logger: createLogger("silent") });
    try {
      await delay(300);
      assert.ok(store.calls.looks >= 3, `it keeps looking (${store.calls.looks})`);
      assert.equal(store.calls.sweeps, 0, "nothing due, no sweep");
    } finally {
      await sweeper.stop();
    }
  });

  it("expires a hold soon after its time, never before", async () => {
    const store = holdsOnTheClock();
    store.hold("soon", 150);
    store.hold("later", 300);
    const expiresAt = new Map(store.holds);
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, batchSize: 10, logger: createLogger("silent") });
    try {
      await waitFor("both holds expired", () => store.expired.size === 2, { timeoutMs: 5_000 });
      for (const [id, at] of store.expired) {
        assert.ok(at >= expiresAt.get(id)!, `${id} not before its time`);
        assert.ok(at - expiresAt.get(id)! < 1_000, `${id} soon after its time (${at - expiresAt.get(id)!} ms)`);
      }
    } finally {
      await sweeper.stop();
    }
  });

  it("sweeps a hold whose expiry was moved earlier after it looked (another TTL, a clock ahead)", async () => {
    const store = holdsOnTheClock();
    store.hold("moved", 60_000);
    const sweeper = startReservationSweeper({ ...store, intervalMs: 20, batchSize: 10, logger: createLogger("silent") });
    try {
      await delay(60);
      store.holds.set("moved", Date.now() - 1);
      await waitFor("the moved hold expired", () => store.expired.has("moved"), { timeoutMs: 5_000 });
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
      anyDue: () => (failOnce ? ((failOnce = false), Promise.reject(new Error("database away"))) : store.anyDue()),
      intervalMs: 20,
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
