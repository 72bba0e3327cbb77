import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startAnchoredClock } from "#kernel";

/** A monotonic clock the test moves. */
function monotonic(start = 1_000) {
  let now = start;
  return { elapsed: () => now, advance: (ms: number) => (now += ms) };
}

describe("startAnchoredClock", () => {
  it("tells the reference's time, moved on by the monotonic clock, whatever the host's says", async () => {
    const ticks = monotonic();
    const reference = Date.parse("2030-01-01T00:00:00.000Z");
    let hostMs = reference - 20 * 60_000;
    const clock = await startAnchoredClock({ reference: async () => new Date(reference), elapsed: ticks.elapsed, host: () => hostMs });
    try {
      assert.equal(clock.now().toISOString(), "2030-01-01T00:00:00.000Z");
      assert.equal(clock.offsetMs(), 20 * 60_000);
      ticks.advance(1_500);
      hostMs += 3 * 3600_000; // the host clock is stepped: nothing changes
      assert.equal(clock.now().toISOString(), "2030-01-01T00:00:01.500Z");
    } finally {
      clock.stop();
    }
  });

  it("takes a reading as the midpoint of its round trip", async () => {
    const ticks = monotonic();
    const clock = await startAnchoredClock({
      reference: async () => {
        ticks.advance(40); // the answer is 40 ms on its way back
        return new Date(Date.parse("2030-01-01T00:00:00.000Z"));
      },
      elapsed: ticks.elapsed,
    });
    try {
      assert.equal(clock.now().toISOString(), "2030-01-01T00:00:00.020Z");
    } finally {
      clock.stop();
    }
  });

  it("stands in with the host clock until a reading succeeds, and keeps the last reading when one fails", async () => {
    const ticks = monotonic();
    let answer: Date | Error = new Error("connection refused");
    const clock = await startAnchoredClock({
      reference: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
      elapsed: ticks.elapsed,
      host: () => Date.parse("2030-01-01T00:00:00.000Z"),
      reanchorMs: 10,
    });
    try {
      assert.equal(clock.now().toISOString(), "2030-01-01T00:00:00.000Z");
      answer = new Date(Date.parse("2031-06-01T00:00:00.000Z"));
      await waitUntil(() => clock.now().getUTCFullYear() === 2031);
      answer = new Error("connection reset");
      ticks.advance(60_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(clock.now().toISOString(), "2031-06-01T00:01:00.000Z");
    } finally {
      clock.stop();
    }
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(done(), "the clock took no reading");
}
