// Connection churn: the caps on open sockets let a client open and close sockets as fast as it
// liked (1,068 WebSockets in 5 s from one address, never sending connection_init, took 14% of a
// core). These cases open sockets the way that client did and check who is still served.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { closeServer, createConnectionRate, createGuardedServer, type ConnectionGuards, type ConnectionRefusal } from "#kernel";

async function guardedServer(guards: Omit<ConnectionGuards, "onRefused">) {
  const refused: ConnectionRefusal[] = [];
  let answered = 0;
  const server = createGuardedServer({ ...guards, onRefused: (reason) => refused.push(reason) }, (req, res) => {
    answered += 1;
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, refused, answered: () => answered };
}

/** One GET on a fresh connection from `from`: the status, or the error that stopped it. */
function get(port: number, from: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ port, host: "127.0.0.1", localAddress: from, path: "/", agent: false, timeout: 3_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
}

describe("guarded HTTP server: new connections per client network", () => {
  it("closes a client's sockets past its budget before reading them, while another client is served", async () => {
    const { server, port, refused, answered } = await guardedServer({ maxConnections: 10_000, maxConnectionsPerClient: 256, newConnectionsPerMinute: 5 });
    try {
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 8; i += 1) statuses.push(await get(port, "127.0.0.2"));
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
      assert.ok(statuses.slice(5).every((status) => status !== 200), `past the budget: ${statuses.join(", ")}`);
      assert.equal(answered(), 5, "a refused socket never reached the request handler");
      assert.deepEqual(refused, ["client_churn", "client_churn", "client_churn"]);
      assert.equal(await get(port, "127.0.0.3"), 200, "another address has its own budget");
    } finally {
      await closeServer(server);
    }
  });

  it("leaves the peers it is told to exempt (the operator's proxies) unbudgeted", async () => {
    const { server, port, refused } = await guardedServer({ maxConnections: 10_000, newConnectionsPerMinute: 2, exemptPeer: (address) => address === "127.0.0.4" });
    try {
      for (let i = 0; i < 6; i += 1) assert.equal(await get(port, "127.0.0.4"), 200);
      assert.deepEqual(refused, []);
      await get(port, "127.0.0.5");
      await get(port, "127.0.0.5");
      assert.notEqual(await get(port, "127.0.0.5"), 200);
    } finally {
      await closeServer(server);
    }
  });
});

describe("connection rate budget", () => {
  it("admits a minute's worth at once, then the rate, per client", () => {
    let now = 0;
    const rate = createConnectionRate({ perMinute: 60 }, () => now);
    for (let i = 0; i < 60; i += 1) assert.equal(rate.admit("198.51.100.1"), true);
    assert.equal(rate.admit("198.51.100.1"), false);
    assert.equal(rate.admit("198.51.100.2"), true, "another client is unaffected");
    now += 1_000;
    assert.equal(rate.admit("198.51.100.1"), true, "one more a second");
    assert.equal(rate.admit("198.51.100.1"), false);
    now += 120_000;
    for (let i = 0; i < 60; i += 1) assert.equal(rate.admit("198.51.100.1"), true);
    assert.equal(rate.admit("198.51.100.1"), false, "refilled to a minute's worth, no more");
  });

  it("makes the /64s of one /48 share sixteen networks' budgets", () => {
    const rate = createConnectionRate({ perMinute: 10 }, () => 0);
    let admitted = 0;
    for (let network = 0; network < 100; network += 1) {
      for (let i = 0; i < 10; i += 1) if (rate.admit(`2001:db8:1:${network.toString(16)}::/64`)) admitted += 1;
    }
    assert.equal(admitted, 160);
    assert.equal(rate.admit("2001:db8:2:1::/64"), true, "another /48 has its own");
  });

  it("forgets clients whose budget has refilled, so addresses seen once do not pile up", () => {
    let now = 0;
    const rate = createConnectionRate({ perMinute: 10 }, () => now);
    for (let i = 0; i < 1_000; i += 1) rate.admit(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(rate.tracked(), 1_000);
    now += 61_000;
    rate.admit("10.9.9.9");
    assert.equal(rate.tracked(), 1);
  });

  it("tracks at most its cap of clients and sites however many sources connect within a minute", () => {
    const rate = createConnectionRate({ perMinute: 10, maxTracked: 500 }, () => 0);
    // 20,000 /64s over 2,000 /48 sites: before the cap every one of them was kept until the sweep.
    for (let i = 0; i < 20_000; i += 1) rate.admit(`2001:db8:${(i % 2_000).toString(16)}:${i.toString(16)}::/64`);
    assert.ok(rate.tracked() <= 1_000, `${rate.tracked()} tracked`);
  });

  it("keeps refusing a client over its budget while others fill the map: the cap buys it nothing", () => {
    const rate = createConnectionRate({ perMinute: 10, maxTracked: 50 }, () => 0);
    for (let i = 0; i < 10; i += 1) assert.equal(rate.admit("198.51.100.7"), true);
    // Each of its attempts comes between other clients' connections, however many they are.
    for (let round = 0; round < 200; round += 1) {
      for (let other = 0; other < 10; other += 1) rate.admit(`10.1.${round}.${other}`);
      assert.equal(rate.admit("198.51.100.7"), false, `round ${round}`);
    }
  });
});

