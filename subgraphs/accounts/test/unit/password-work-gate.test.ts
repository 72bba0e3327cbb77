import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPasswordWorkGate } from "../../src/domain/password-work-gate.js";

/** A derivation the test finishes by hand, recording when it started. */
function manual(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    derive: async () => {
      log.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const code = (error: unknown) => (error as { extensions?: { code?: string }; code?: string }).code ?? (error as { extensions?: { code?: string } }).extensions?.code;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("password work gate", () => {
  it("runs no more derivations at once than its concurrency, however many networks ask", async () => {
    const gate = createPasswordWorkGate({ concurrency: 2, perNetwork: 10, queue: 100, maxWaitMs: 5_000 });
    let now = 0;
    let most = 0;
    const derive = async () => {
      most = Math.max(most, ++now);
      await settle();
      now--;
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => gate.run(`net-${i % 3}`, derive)));
    assert.equal(most, 2);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
  });

  it("refuses a network past its places at once, RATE_LIMITED, while another network still gets in line", async () => {
    const gate = createPasswordWorkGate({ concurrency: 1, perNetwork: 2, queue: 100, maxWaitMs: 5_000 });
    const log: string[] = [];
    const [a1, a2, b1] = [manual(log, "a1"), manual(log, "a2"), manual(log, "b1")];
    const runs = [gate.run("A", a1.derive), gate.run("A", a2.derive)];
    await assert.rejects(gate.run("A", async () => "a3"), (error) => code(error) === "RATE_LIMITED");
    const b = gate.run("B", b1.derive);
    assert.deepEqual(gate.load, { running: 1, waiting: 2 });
    a1.finish();
    a2.finish();
    b1.finish();
    assert.deepEqual(await Promise.all([...runs, b]), ["a1", "a2", "b1"]);
    // Places are given back: A may ask again.
    assert.equal(await gate.run("A", async () => "again"), "again");
  });

  it("lets networks take turns: a network's next waiter goes behind the others'", async () => {
    const gate = createPasswordWorkGate({ concurrency: 1, perNetwork: 10, queue: 100, maxWaitMs: 5_000 });
    const log: string[] = [];
    const names = ["a1", "a2", "a3", "a4", "b1", "c1"];
    const tasks = names.map((name) => manual(log, name));
    const runs = tasks.map((task, i) => gate.run(names[i]![0]!.toUpperCase(), task.derive));
    // One at a time: finish whichever started last, until all have run.
    for (let i = 0; i < tasks.length; i++) {
      await settle();
      tasks[names.indexOf(log[log.length - 1]!)]!.finish();
    }
    await Promise.all(runs);
    assert.deepEqual(log, ["a1", "a2", "b1", "c1", "a3", "a4"], "after A's first waiter, B and C each take a turn before A's next");
  });

  it("refuses SERVICE_UNAVAILABLE when the whole line is full, and when a wait runs out, giving the place back", async () => {
    const gate = createPasswordWorkGate({ concurrency: 1, perNetwork: 10, queue: 1, maxWaitMs: 50 });
    const log: string[] = [];
    const first = manual(log, "first");
    const running = gate.run("A", first.derive);
    const waiting = gate.run("B", async () => "late");
    await assert.rejects(gate.run("C", async () => "c"), (error) => code(error) === "SERVICE_UNAVAILABLE");
    await assert.rejects(waiting, (error) => code(error) === "SERVICE_UNAVAILABLE");
    assert.deepEqual(gate.load, { running: 1, waiting: 0 });
    first.finish();
    await running;
    assert.equal(await gate.run("B", async () => "b"), "b");
  });

  it("puts callers without a known network in one line of their own, as one network", async () => {
    const gate = createPasswordWorkGate({ concurrency: 1, perNetwork: 2, queue: 100, maxWaitMs: 5_000 });
    const log: string[] = [];
    const [first, second] = [manual(log, "first"), manual(log, "second")];
    const runs = [gate.run(undefined, first.derive), gate.run("", second.derive)];
    await assert.rejects(gate.run(undefined, async () => "third"), (error) => code(error) === "RATE_LIMITED");
    assert.equal(await Promise.race([gate.run("10.0.0.1", async () => "known"), settle().then(() => "queued")]), "queued", "a known network still gets in line");
    first.finish();
    second.finish();
    await Promise.all(runs);
  });

  it("gives the places of a derivation that fails back", async () => {
    const gate = createPasswordWorkGate({ concurrency: 1, perNetwork: 1, queue: 10, maxWaitMs: 5_000 });
    await assert.rejects(gate.run("A", async () => Promise.reject(new Error("boom"))), /boom/);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
    assert.equal(await gate.run("A", async () => "ok"), "ok");
  });
});
