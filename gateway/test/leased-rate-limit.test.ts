import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { leaseSizeFor, withLocalLeases, type TakeFromSharedBudget } from "../src/performance/leased-rate-limit.js";

/** A shared budget like Redis's fixed window: counts every point taken, refuses past the budget. */
function sharedBudget(points: number, clock: () => number, windowMs = 60_000) {
  let used = 0;
  let windowEnds = clock() + windowMs;
  const calls = { count: 0 };
  const take: TakeFromSharedBudget = async (_key, wanted) => {
    calls.count += 1;
    if (clock() >= windowEnds) {
      used = 0;
      windowEnds = clock() + windowMs;
    }
    used += wanted; // like rate-limiter-flexible: a refused take still counts
    const msBeforeReset = windowEnds - clock();
    return used <= points ? { allowed: true, retryAfterSeconds: 0, msBeforeReset } : { allowed: false, retryAfterSeconds: Math.ceil(msBeforeReset / 1000), msBeforeReset };
  };
  return { take, calls };
}

describe("leased rate limit", () => {
  it("sizes leases at 1% of the budget, one point for budgets of 100 a minute or less", () => {
    assert.equal(leaseSizeFor(3), 1);
    assert.equal(leaseSizeFor(100), 1);
    assert.equal(leaseSizeFor(600), 6);
    assert.equal(leaseSizeFor(1_000_000), 50);
  });

  it("never lets a caller past its budget across processes, and asks the store once a lease", async () => {
    const now = 0;
    const shared = sharedBudget(600, () => now);
    const processes = [withLocalLeases(shared.take, 6, () => now), withLocalLeases(shared.take, 6, () => now)];
    let allowed = 0;
    for (let i = 0; i < 588; i++) if ((await processes[i % 2]!("ip:1")).allowed) allowed += 1;
    assert.equal(allowed, 588);
    assert.equal(shared.calls.count, 588 / 6, "one store round trip per lease of 6");
    for (let i = 0; i < 400; i++) if ((await processes[i % 2]!("ip:1")).allowed) allowed += 1;
    assert.ok(allowed <= 600, `allowed ${allowed}`);
    assert.ok(allowed >= 600 - 2 * 5, `refused at most lease-1 early per process (allowed ${allowed})`);
  });

  it("is exactly the shared limit when the lease is one point", async () => {
    const shared = sharedBudget(3, () => 0);
    const limit = withLocalLeases(shared.take, leaseSizeFor(3), () => 0);
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push((await limit("user:1")).allowed);
    assert.deepEqual(decisions, [true, true, true, false, false]);
    assert.equal(shared.calls.count, 5);
  });

  it("takes one lease for concurrent requests of the same caller", async () => {
    const shared = sharedBudget(10_000, () => 0);
    const limit = withLocalLeases(shared.take, 20, () => 0);
    const decisions = await Promise.all(Array.from({ length: 15 }, () => limit("ip:2")));
    assert.ok(decisions.every((d) => d.allowed));
    assert.equal(shared.calls.count, 1);
  });

  it("drops a lease when its window ends, so a new window starts from the store", async () => {
    let now = 0;
    const shared = sharedBudget(1_000, () => now, 1_000);
    const limit = withLocalLeases(shared.take, 10, () => now);
    await limit("ip:3");
    now = 1_001;
    await limit("ip:3");
    assert.equal(shared.calls.count, 2, "the second call asked the store again despite 9 points left");
  });
});
