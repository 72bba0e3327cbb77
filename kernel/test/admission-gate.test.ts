import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { createAdmissionGate, metricsRegistry } from "#kernel";

const extensionsOf = (error: unknown) => (error as { extensions?: Record<string, unknown> }).extensions ?? {};

describe("admission gate", () => {
  it("lets maxInFlight in at once; the next wait and are let in, in order, as places are given back", async () => {
    const gate = createAdmissionGate({ name: "test-order", maxInFlight: 2, maxWaitMs: 5_000 });
    const [a, b] = await Promise.all([gate.enter(), gate.enter()]);
    const order: string[] = [];
    const c = gate.enter().then((leave) => (order.push("c"), leave));
    const d = gate.enter().then((leave) => (order.push("d"), leave));
    await sleep(10);
    assert.deepEqual(gate.status(), { inFlight: 2, waiting: 2, refused: 0 });
    a();
    (await c)();
    b();
    (await d)();
    assert.deepEqual(order, ["c", "d"]);
    assert.deepEqual(gate.status(), { inFlight: 0, waiting: 0, refused: 0 });
  });

  it("refuses a request that waited maxWaitMs with SERVICE_UNAVAILABLE, reason OVERLOADED and a retry hint, without taking a place", async () => {
    const gate = createAdmissionGate({ name: "test-wait", maxInFlight: 1, maxWaitMs: 30 });
    const held = await gate.enter();
    const started = performance.now();
    const refusal = await gate.enter().then(() => assert.fail("let in"), (error: unknown) => error);
    assert.ok(performance.now() - started >= 25, "it waited its time first");
    assert.deepEqual(extensionsOf(refusal), { code: "SERVICE_UNAVAILABLE", reason: "OVERLOADED", retryAfterSeconds: 1 });
    assert.match((refusal as Error).message, /nothing was done/);
    assert.deepEqual(gate.status(), { inFlight: 1, waiting: 0, refused: 1 });
    held();
    (await gate.enter())();
    assert.match(await metricsRegistry.metrics(), /storefront_admission_refusals_total\{gate="test-wait"\} 1/);
  });

  it("refuses at once when maxQueue requests wait already, so a flood holds no memory or timers", async () => {
    const gate = createAdmissionGate({ name: "test-queue", maxInFlight: 1, maxWaitMs: 60_000, maxQueue: 3 });
    const held = await gate.enter();
    const waiting = [gate.enter(), gate.enter(), gate.enter()];
    const started = performance.now();
    const refusals = await Promise.allSettled(Array.from({ length: 1_000 }, () => gate.enter()));
    assert.ok(performance.now() - started < 1_000);
    assert.ok(refusals.every((r) => r.status === "rejected" && extensionsOf(r.reason).reason === "OVERLOADED"));
    assert.deepEqual(gate.status(), { inFlight: 1, waiting: 3, refused: 1_000 });
    held();
    for (const next of waiting) (await next)();
    assert.deepEqual(gate.status(), { inFlight: 0, waiting: 0, refused: 1_000 });
  });

  it("with no bound on the queue, lets a burst of 1,000 in as places free, within its wait", async () => {
    const gate = createAdmissionGate({ name: "test-burst", maxInFlight: 4, maxWaitMs: 5_000, maxQueue: Number.POSITIVE_INFINITY });
    let done = 0;
    await Promise.all(
      Array.from({ length: 1_000 }, async () => {
        const leave = await gate.enter();
        await sleep(0);
        done += 1;
        leave();
      }),
    );
    assert.equal(done, 1_000);
    assert.deepEqual(gate.status(), { inFlight: 0, waiting: 0, refused: 0 });
  });

  it("gives a place back once however often its leave is called: a double release never adds capacity", async () => {
    const gate = createAdmissionGate({ name: "test-twice", maxInFlight: 1, maxWaitMs: 20 });
    const leave = await gate.enter();
    leave();
    leave();
    const again = await gate.enter();
    await assert.rejects(gate.enter(), (error) => extensionsOf(error).reason === "OVERLOADED");
    again();
  });

  it("never has more than maxInFlight at work under 2,000 requests of random length, and every one is either done or refused", async () => {
    const gate = createAdmissionGate({ name: "test-storm", maxInFlight: 8, maxWaitMs: 15, maxQueue: 40 });
    let seed = 11;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    let atWork = 0;
    let most = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 2_000 }, async (_, i) => {
        await sleep(Math.floor(i / 50));
        let leave: () => void;
        try {
          leave = await gate.enter();
        } catch (error) {
          assert.equal(extensionsOf(error).reason, "OVERLOADED");
          return "refused";
        }
        atWork += 1;
        most = Math.max(most, atWork);
        try {
          await sleep(random() * 6);
          if (random() < 0.1) throw new Error("the work failed");
          return "done";
        } catch {
          return "failed";
        } finally {
          atWork -= 1;
          leave();
        }
      }),
    );
    assert.equal(most, 8);
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    assert.ok(count("refused") > 0 && count("done") > 0, `some refused (${count("refused")}), some done (${count("done")})`);
    assert.equal(count("refused"), gate.status().refused);
    assert.deepEqual({ ...gate.status(), refused: 0 }, { inFlight: 0, waiting: 0, refused: 0 });
  });

  it("gives a freed place to the waiter whose party holds the fewest, so one caller's backlog keeps no other caller waiting behind it", async () => {
    const gate = createAdmissionGate({ name: "test-parties", maxInFlight: 2, maxWaitMs: 5_000, maxQueue: Number.POSITIVE_INFINITY });
    const held = [await gate.enter("flood"), await gate.enter("flood")];
    const order: string[] = [];
    const backlog = ["flood 1", "flood 2", "flood 3"].map((name) => gate.enter("flood").then((leave) => (order.push(name), leave)));
    const other = gate.enter("shopper").then((leave) => (order.push("shopper"), leave));
    await sleep(10);
    held[0]!();
    (await other)();
    assert.deepEqual(order, ["shopper"], "the shopper came after the flood's backlog, but holds nothing");
    held[1]!();
    for (const next of backlog) (await next)();
    assert.deepEqual(order, ["shopper", "flood 1", "flood 2", "flood 3"], "one party's own waiters keep their order");
    assert.deepEqual(gate.status(), { inFlight: 0, waiting: 0, refused: 0 });
  });

  it("with its queue full, refuses the newest waiter of the party holding and waiting most in favour of a party holding less", async () => {
    const gate = createAdmissionGate({ name: "test-party-queue", maxInFlight: 1, maxWaitMs: 60_000, maxQueue: 3 });
    const held = await gate.enter("flood");
    const outcomes: string[] = [];
    const backlog = ["flood 1", "flood 2", "flood 3"].map((name) =>
      gate.enter("flood").then(
        (leave) => (outcomes.push(`${name} let in`), leave),
        (error: unknown) => (assert.equal(extensionsOf(error).reason, "OVERLOADED"), outcomes.push(`${name} refused`), () => undefined),
      ),
    );
    const other = gate.enter("shopper").then((leave) => (outcomes.push("shopper let in"), leave));
    await sleep(10);
    assert.deepEqual(outcomes, ["flood 3 refused"]);
    assert.deepEqual(gate.status(), { inFlight: 1, waiting: 3, refused: 1 });
    held();
    (await other)();
    for (const next of backlog) (await next)();
    assert.deepEqual(outcomes, ["flood 3 refused", "shopper let in", "flood 1 let in", "flood 2 let in"]);
    // A party alone still meets the bound as before: its newcomer is the one refused.
    const alone = await gate.enter("flood");
    const queued = [gate.enter("flood"), gate.enter("flood"), gate.enter("flood")];
    await assert.rejects(gate.enter("flood"), (error) => extensionsOf(error).reason === "OVERLOADED");
    alone();
    for (const next of queued) (await next)();
  });

  it("refuses options that would admit nothing", () => {
    assert.throws(() => createAdmissionGate({ name: "bad", maxInFlight: 0, maxWaitMs: 10 }));
    assert.throws(() => createAdmissionGate({ name: "bad", maxInFlight: Number.NaN, maxWaitMs: 10 }));
    assert.throws(() => createAdmissionGate({ name: "bad", maxInFlight: 1, maxWaitMs: -1 }));
  });
});
