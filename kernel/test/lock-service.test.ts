import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLockService, EmbeddedKeyValueStore, LockBusyError } from "../src/index.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Callers of one process take a lock in the order they asked. A demo catalog seed died on a
 * whole-catalog listing's lock that its own process's stock events kept taking: polling let
 * each newcomer, and each holder asking again, in ahead of a caller that had waited a while.
 */
describe("locks taken in the order they were asked for", () => {
  it("a caller waiting for a lock is not overtaken by callers that keep asking after it", async () => {
    const locks = createLockService(new EmbeddedKeyValueStore());
    const taken: string[] = [];
    let stop = false;
    // Three busy holders, each asking again the moment it lets go, for longer than the wait.
    const holders = ["a", "b", "c"].map(async (name) => {
      while (!stop) {
        await locks.withLock(
          "listing:NEWEST|*",
          async () => {
            taken.push(name);
            await pause(10);
          },
          { ttlMs: 5_000, waitMs: 5_000 },
        );
      }
    });
    await pause(30);
    const askedAt = taken.length;
    try {
      await locks.withLock("listing:NEWEST|*", async () => void taken.push("seed"), { ttlMs: 5_000, waitMs: 500 });
    } finally {
      stop = true;
      await Promise.all(holders);
    }
    const before = taken.indexOf("seed") - askedAt;
    assert.ok(before <= 3, `${before} holds went ahead of a caller that asked before them; at most the three holders already in line may`);
  });

  it("a caller still refuses busy past its wait, and the callers behind it keep their turns", async () => {
    const locks = createLockService(new EmbeddedKeyValueStore());
    let release!: () => void;
    const held = locks.withLock("order:1", () => new Promise<void>((resolve) => (release = resolve)), { ttlMs: 5_000 });
    await pause(5);
    const impatient = locks.withLock("order:1", async () => "impatient", { waitMs: 50 });
    const patient = locks.withLock("order:1", async () => "patient", { waitMs: 5_000 });
    await assert.rejects(impatient, (error) => error instanceof LockBusyError && error.resource === "order:1");
    release();
    await held;
    assert.equal(await patient, "patient");
    assert.equal(await locks.withLock("order:1", async () => "later", { waitMs: 100 }), "later", "the line is empty once everyone had their turn");
  });
});
