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

  it("spends a request's cost from the lease: weighted requests ask the store once a lease, not once each", async () => {
    const shared = sharedBudget(100_000, () => 0);
    const limit = withLocalLeases(shared.take, 1_000, () => 0);
    for (let i = 0; i < 20; i++) assert.equal((await limit("ip:4", 37)).allowed, true);
    assert.equal(shared.calls.count, 1, "20 requests of 37 points from one lease of 1,000");
    // A request heavier than a lease takes what it lacks in one round trip.
    assert.equal((await limit("ip:4", 5_000)).allowed, true);
    assert.equal(shared.calls.count, 2);
  });

  it("gives points back to the lease they were spent from, in its window only", async () => {
    let now = 0;
    const shared = sharedBudget(100_000, () => now, 1_000);
    const limit = withLocalLeases(shared.take, 100, () => now);
    const spent = await limit("user:5", 90);
    assert.equal(spent.allowed, true);
    assert.ok(spent.windowEndsAt! > now);
    assert.equal(limit.giveBack("user:5", 80, spent.windowEndsAt!), true);
    for (let i = 0; i < 9; i++) assert.equal((await limit("user:5", 10)).allowed, true);
    assert.equal(shared.calls.count, 1, "the 80 given back paid for 8 of the 9 requests, the lease's last 10 for one");
    assert.equal(limit.giveBack("user:5", 10, spent.windowEndsAt! + 1), false, "another window's points are not this lease's");
    now = 1_001;
    assert.equal(limit.giveBack("user:5", 10, spent.windowEndsAt!), false, "an ended window takes nothing back");
  });

  it("gives points back to the lease when the charge names an earlier end of the same open window", async () => {
    let now = 0;
    const shared = sharedBudget(100_000, () => now, 1_000);
    const limit = withLocalLeases(shared.take, 100, () => now);
    const spent = await limit("ip:7", 90);
    // Charged with another budget whose window estimate ends 3 ms earlier (a /48 site's lease).
    const chargedUntil = spent.windowEndsAt! - 3;
    assert.equal(limit.giveBack("ip:7", 80, chargedUntil), true, "the charge's window is open: it is the lease's");
    for (let i = 0; i < 9; i++) assert.equal((await limit("ip:7", 10)).allowed, true);
    assert.equal(shared.calls.count, 1, "the 80 given back paid for 8 of the 9 requests");
    now = chargedUntil;
    assert.equal(limit.giveBack("ip:7", 10, chargedUntil), false, "the charge's window may have ended: nothing is given");
  });

  it("takes back a refund that arrives while a new lease is being asked for, and spends it", async () => {
    const now = 0;
    const shared = sharedBudget(100_000, () => now);
    let release: (() => void) | undefined;
    // The store answers the second lease only when told: a round trip in flight.
    const slowTake: TakeFromSharedBudget = async (key, wanted) => {
      if (shared.calls.count === 1) await new Promise<void>((resolve) => (release = resolve));
      return shared.take(key, wanted);
    };
    const limit = withLocalLeases(slowTake, 100, () => now);
    const first = await limit("ip:8", 100);
    assert.equal(first.allowed, true);
    const renewing = limit("ip:8", 30);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(release, "the second lease is being asked for");
    assert.equal(limit.giveBack("ip:8", 60, first.windowEndsAt!), true, "the first request's refund lands in the lease it was spent from");
    release!();
    assert.equal((await renewing).allowed, true);
    // Held now: 60 given back + a lease of 100 - 30 spent = 130.
    for (let i = 0; i < 13; i++) assert.equal((await limit("ip:8", 10)).allowed, true);
    assert.equal(shared.calls.count, 2, "the refund paid for requests instead of going to the store");
    assert.equal((await limit("ip:8", 10)).allowed, true);
    assert.equal(shared.calls.count, 3);
  });

  it("never lets weighted requests with refunds past the budget across processes, and spends a budget's last points", async () => {
    const now = 0;
    let used = 0;
    // Like the real store's take: a refused take spends nothing.
    const take: TakeFromSharedBudget = async (_key, wanted) => {
      if (used + wanted > 10_000) return { allowed: false, retryAfterSeconds: 60, msBeforeReset: 60_000 };
      used += wanted;
      return { allowed: true, retryAfterSeconds: 0, msBeforeReset: 60_000 };
    };
    const processes = [withLocalLeases(take, 500, () => now), withLocalLeases(take, 500, () => now)];
    let kept = 0;
    for (let i = 0; i < 2_000; i++) {
      const limit = processes[i % 2]!;
      const cost = 1 + ((i * 37) % 120);
      const decision = await limit("ip:6", cost);
      if (!decision.allowed) continue;
      const back = i % 3 === 0 ? cost - 1 : 0;
      if (back > 0) assert.equal(limit.giveBack("ip:6", back, decision.windowEndsAt!), true);
      kept += cost - back;
    }
    assert.ok(kept <= 10_000, `spent ${kept} of 10,000`);
    assert.ok(kept >= 10_000 - 2 * 500, `refused at most a lease early per process (spent ${kept})`);
    assert.equal((await processes[0]!("ip:6", 1)).allowed || (await processes[1]!("ip:6", 1)).allowed, kept < 10_000);
  });
});
