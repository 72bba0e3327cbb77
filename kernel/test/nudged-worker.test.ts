import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { startNudgedWorker } from "../src/runtime/nudged-worker.js";

/** Lets settled promises run their callbacks (timers are mocked, setImmediate is not). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("startNudgedWorker", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  /** Advances mocked time by `ms` in 1 ms steps, letting each drain finish, and returns when drains ran. */
  async function runFor(ms: number, clock: { now: number }) {
    for (let i = 0; i < ms; i++) {
      clock.now += 1;
      mock.timers.tick(1);
      await settle();
    }
  }

  it("polls at pollMs while there is work, and slows down to idlePollMs while a drain finds nothing", async () => {
    const clock = { now: 0 };
    const runs: number[] = [];
    let found = true;
    const worker = startNudgedWorker({ drain: async () => (runs.push(clock.now), found), pollMs: 10, idlePollMs: 80, onError: () => {} });
    try {
      await settle();
      await runFor(50, clock);
      assert.deepEqual(runs, [0, 10, 20, 30, 40, 50], "busy: every 10 ms");
      found = false;
      runs.length = 0;
      await runFor(400, clock);
      const gaps = runs.slice(1).map((at, i) => at - runs[i]!);
      assert.deepEqual(gaps.slice(0, 3), [20, 40, 80], "idle: the wait doubles");
      assert.ok(gaps.slice(3).every((gap) => gap === 80), `then stays at idlePollMs: ${gaps}`);
    } finally {
      await worker.stop();
    }
  });

  it("runs at once on a nudge, however long the idle wait has grown, and polls at pollMs again after it", async () => {
    const clock = { now: 0 };
    const runs: number[] = [];
    let found = false;
    const worker = startNudgedWorker({ drain: async () => (runs.push(clock.now), found), pollMs: 10, idlePollMs: 1_000, onError: () => {} });
    try {
      await settle();
      await runFor(700, clock);
      const before = runs.length;
      found = true;
      worker.nudge();
      await settle();
      assert.equal(runs.length, before + 1);
      assert.equal(runs.at(-1), clock.now, "the nudge ran the drain without waiting");
      await runFor(30, clock);
      assert.deepEqual(runs.slice(before + 1), [clock.now - 20, clock.now - 10, clock.now]);
    } finally {
      await worker.stop();
    }
  });

  it("runs once more after a nudge that came during a run, and retries at pollMs after a failure", async () => {
    const clock = { now: 0 };
    let release!: () => void;
    let calls = 0;
    const failures: number[] = [];
    const worker = startNudgedWorker({
      drain: async () => {
        calls += 1;
        if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
        if (calls === 3) throw new Error("store down");
        return false;
      },
      pollMs: 10,
      idlePollMs: 1_000,
      onError: (_error, consecutive) => failures.push(consecutive),
    });
    try {
      await settle();
      worker.nudge();
      worker.nudge();
      release();
      await settle();
      assert.equal(calls, 2, "two nudges during a run make one more run");
      // Two idle runs: the next poll is 40 ms away.
      await runFor(39, clock);
      assert.equal(calls, 2);
      await runFor(1, clock);
      assert.equal(calls, 3);
      assert.deepEqual(failures, [1]);
      await runFor(10, clock);
      assert.equal(calls, 4, "after a failure the next poll is pollMs away");
    } finally {
      await worker.stop();
    }
  });

  it("starts no run once stop() has resolved, though a nudge came during the run that stop() waited for", async () => {
    // The run owed to that nudge used to start right after stop() returned: a relay's
    // transaction on a pool its owner was closing, or a database being dropped.
    let release!: () => void;
    let calls = 0;
    let stopped = false;
    const afterStop: number[] = [];
    const worker = startNudgedWorker({
      drain: async () => {
        calls += 1;
        if (stopped) afterStop.push(calls);
        if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
        return true;
      },
      pollMs: 10,
      onError: () => {},
    });
    await settle();
    worker.nudge();
    const stopping = worker.stop().then(() => (stopped = true));
    release();
    await stopping;
    await settle();
    mock.timers.tick(100);
    await settle();
    assert.equal(calls, 1, "the owed run is dropped: the worker is stopped");
    assert.deepEqual(afterStop, []);
  });
});
