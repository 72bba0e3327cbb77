// Budgets per client network count an IPv6 address by its /64; a /48 (free from a tunnel broker)
// holds 65,536 of them. Each /64 keeps its budget, and all of a /48's draw on one site ceiling.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NETWORKS_PER_SITE, networkSite, siteOf } from "#kernel";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { callerOf, networkBudget, ownBudget } from "../src/rate-limit/caller.js";

describe("per-network budgets and the IPv6 /48 site", () => {
  it("names the /48 of a key holding a /64, and nothing for IPv4 addresses, lone IPv6 addresses or users", () => {
    assert.equal(networkSite("ip:2001:db8:1:2::/64"), "ip:2001:db8:1::/48");
    assert.equal(networkSite("2001:db8:1:2::/64|cross-site"), "2001:db8:1::/48|cross-site");
    for (const key of ["ip:192.0.2.1", "ip:0:0:0:0:0:0:0:1", "user:usr_1", "ip:unknown"]) assert.equal(networkSite(key), undefined, key);
  });

  it("works out a caller's site once, from its network, and carries it to every budget key", () => {
    assert.equal(siteOf("2001:db8:1:2::/64"), "2001:db8:1::/48");
    for (const network of ["192.0.2.1", "0:0:0:0:0:0:0:1", "unknown"]) assert.equal(siteOf(network), undefined, network);
    const guest = callerOf(undefined, "2001:db8:1:2::/64");
    assert.deepEqual(guest, { key: "ip:2001:db8:1:2::/64", network: "ip:2001:db8:1:2::/64", site: "ip:2001:db8:1::/48" });
    assert.deepEqual(ownBudget(guest), { key: "ip:2001:db8:1:2::/64", site: "ip:2001:db8:1::/48" });
    assert.deepEqual(networkBudget(guest, "guests:"), { key: "guests:ip:2001:db8:1:2::/64", site: "guests:ip:2001:db8:1::/48" });
    const customer = callerOf({ userId: "usr_1" }, "2001:db8:1:2::/64");
    assert.deepEqual(ownBudget(customer), { key: "user:usr_1", site: undefined }, "a user's own budget has no site");
    assert.deepEqual(networkBudget(customer), { key: "ip:2001:db8:1:2::/64", site: "ip:2001:db8:1::/48" });
    assert.equal(callerOf(undefined, "192.0.2.1").site, undefined);
  });

  it("charges the site a budget key carries", async () => {
    const limit = createCallerRateLimiter({ pointsPerMinute: 1, keyPrefix: "rl:carried" });
    const site = "ip:2001:db8:7::/48";
    for (let network = 0; network < NETWORKS_PER_SITE; network++) assert.equal((await limit({ key: `n${network}`, site }, 1)).allowed, true);
    assert.equal((await limit({ key: "another", site }, 1)).allowed, false, "the site's budget is spent, whatever the keys");
  });

  it("refuses a new /64 of a /48 whose networks spent the site's budget together, and serves other sites and IPv4", async () => {
    const perMinute = 3;
    const limit = createCallerRateLimiter({ pointsPerMinute: perMinute, keyPrefix: "test:site" });
    const siteBudget = perMinute * NETWORKS_PER_SITE;
    let allowed = 0;
    // Every /64 spends its whole budget, one after another.
    for (let network = 0; network < NETWORKS_PER_SITE + 4; network++) {
      for (let i = 0; i < perMinute; i++) if ((await limit(`ip:2001:db8:77:${network.toString(16)}::/64`)).allowed) allowed += 1;
    }
    assert.equal(allowed, siteBudget);
    const refused = await limit("ip:2001:db8:77:ffff::/64");
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds > 0);
    assert.equal((await limit("ip:2001:db8:78:1::/64")).allowed, true, "another /48");
    assert.equal((await limit("ip:192.0.2.1")).allowed, true, "an IPv4 address");
    // A /64 refused by its site spent nothing of its own: it has its whole budget once the site allows.
    const fresh = createCallerRateLimiter({ pointsPerMinute: 1, keyPrefix: "test:site-refund" });
    for (let network = 0; network < NETWORKS_PER_SITE; network++) assert.equal((await fresh(`ip:2001:db8:99:${network.toString(16)}::/64`)).allowed, true);
    assert.equal((await fresh("ip:2001:db8:99:abcd::/64")).allowed, false);
  });
});

describe("connection caps and the IPv6 /48 site", () => {
  it("holds a /48's networks to NETWORKS_PER_SITE clients' sockets together, each /64 to its own cap, and gives slots back", async () => {
    const { createConnectionLimiter } = await import("#kernel/http/connection-limiter.ts");
    const perClient = 2;
    const limiter = createConnectionLimiter({ maxConnections: 10_000, maxConnectionsPerClient: perClient });
    const slots = [];
    for (let network = 0; network < NETWORKS_PER_SITE + 4; network++) {
      for (let i = 0; i < perClient + 1; i++) slots.push(limiter.open(`2001:db8:66:${network.toString(16)}::/64`));
    }
    const held = slots.filter((slot) => slot !== undefined);
    assert.equal(held.length, perClient * NETWORKS_PER_SITE);
    assert.ok(limiter.open("2001:db8:67:1::/64"), "another /48");
    assert.ok(limiter.open("192.0.2.1"), "an IPv4 address");
    held[0]!.release();
    assert.ok(limiter.open("2001:db8:66:ffff::/64"), "a slot given back is the site's again");
  });
});
