import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSocketGuard } from "../src/subscriptions/socket-guard.js";

describe("socket guard", () => {
  const limits = { maxMessagesPerSecond: 10, maxBufferedBytes: 1_000, maxBytesPerSecond: 10_000 };

  it("lets a burst of the per-second rate through, then judges the socket flooding", () => {
    let now = 0;
    const guard = createSocketGuard(limits, () => now);
    const verdicts = Array.from({ length: 11 }, () => guard.onMessage(0));
    assert.deepEqual(verdicts.slice(0, 10), Array(10).fill(undefined));
    assert.equal(verdicts[10], "flooding");
  });

  it("refills at the rate: a client that keeps to it is never judged", () => {
    let now = 0;
    const guard = createSocketGuard(limits, () => now);
    for (let i = 0; i < 1_000; i++) {
      now += 100;
      assert.equal(guard.onMessage(0), undefined, `message ${i}`);
    }
    // A pause does not bank more than one second's burst.
    now += 60_000;
    const burst = Array.from({ length: 11 }, () => guard.onMessage(0));
    assert.equal(burst.filter((v) => v === undefined).length, 10);
  });

  it("judges a socket not reading once more than the cap is queued for it, on a message or an answer", () => {
    const guard = createSocketGuard(limits, () => 0);
    assert.equal(guard.onSend(1_000), undefined);
    assert.equal(guard.onSend(1_001), "not-reading");
    assert.equal(guard.onMessage(5_000), "not-reading");
  });

  it("judges a socket oversending once its messages weigh more than the byte rate, whatever their number", () => {
    let now = 0;
    const guard = createSocketGuard(limits, () => now);
    assert.equal(guard.onMessage(0, 10_000), undefined);
    assert.equal(guard.onMessage(0, 10_000), undefined, "the burst holds two seconds' bytes");
    assert.equal(guard.onMessage(0, 1), "oversending");
    now += 500;
    assert.equal(guard.onMessage(0, 5_000), undefined, "half a second refills half a second's bytes");
    assert.equal(guard.onMessage(0, 1), "oversending");
    now += 60_000;
    assert.equal(guard.onMessage(0, 20_000), undefined, "a pause banks no more than the burst");
    assert.equal(guard.onMessage(0, 1), "oversending");
  });
});
