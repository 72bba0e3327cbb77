import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelayMs } from "../../src/domain/retry-policy.js";

const policy = { baseMs: 100, maxMs: 1_000 };

describe("retry backoff", () => {
  it("doubles per retry, from half to all of base * 2^(retry-1)", () => {
    assert.equal(backoffDelayMs(1, policy, () => 0), 50);
    assert.equal(backoffDelayMs(1, policy, () => 0.999999), 100);
    assert.equal(backoffDelayMs(2, policy, () => 0), 100);
    assert.equal(backoffDelayMs(3, policy, () => 0), 200);
    assert.equal(backoffDelayMs(3, policy, () => 0.5), 300);
  });

  it("never exceeds the cap, however many retries", () => {
    for (let retry = 1; retry <= 60; retry++) assert.ok(backoffDelayMs(retry, policy, () => 0.999999) <= 1_000);
    assert.equal(backoffDelayMs(40, policy, () => 0), 500);
  });

  it("spreads retries that failed together (jitter)", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, policy)));
    assert.ok(delays.size > 10, `${delays.size} distinct delays`);
    for (const delay of delays) assert.ok(delay >= 400 && delay <= 800, String(delay));
  });
});
