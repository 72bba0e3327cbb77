// A subgraph port is for the platform's own calls, yet anyone who reaches it could hold sockets on
// it: 17,500 held on four subgraph ports of the one-process platform took its file descriptors and
// the gateway reset every client meanwhile. The platform's caller shares loopback with whoever else
// is on the machine, so a subgraph closes a client's oldest socket no signed request vouched for,
// rather than refusing its new ones.
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createLogger, INTERNAL_HEADER, signInternalCredential, startHealthServer, startSubgraphServer, type RunningServer } from "#kernel";

const SECRET = "stranger-sockets-test-secret-0123456789";
const CAP = 64;

function silentSocket(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.once("connect", () => resolve(socket));
    socket.once("close", () => resolve(undefined));
  });
}

/** One request, on `agent`'s kept-alive socket when it has one: the status and whether the socket was reused. */
function send(port: number, options: { path: string; method?: string; signed?: boolean; forged?: boolean; agent?: Agent | false; body?: string }) {
  return new Promise<{ status: number; reused: boolean; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.signed) headers[INTERNAL_HEADER] = signInternalCredential(SECRET, { aud: "toy", requestId: "stranger-test" });
    if (options.forged) headers[INTERNAL_HEADER] = signInternalCredential(`${SECRET}-guessed`, { aud: "toy", requestId: "stranger-test" });
    const req = request({ port, host: "127.0.0.1", path: options.path, method: options.method ?? "GET", headers, agent: options.agent ?? false }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const open = (sockets: (Socket | undefined)[]) => sockets.filter((socket) => socket && !socket.destroyed && !socket.readableEnded).length;

describe("a subgraph port and the sockets of strangers", () => {
  let server: RunningServer;
  before(async () => {
    const schema = buildSubgraphSchema({ typeDefs: parse("type Query { ping: String }"), resolvers: { Query: { ping: () => "pong" } } });
    server = await startSubgraphServer({ name: "toy", schema, internalSecret: SECRET, logger: createLogger("error", {}, () => {}), extendContext: (base) => base, port: 0, host: "127.0.0.1" });
  });
  after(() => server.close());

  it(`holds at most ${CAP} of one client's unvouched sockets, closing the oldest first`, async () => {
    const sockets: (Socket | undefined)[] = [];
    for (let i = 0; i < 300; i++) sockets.push(await silentSocket(server.port));
    await until(() => open(sockets) <= CAP);
    assert.equal(open(sockets), CAP, "the newest are kept");
    assert.ok(sockets.slice(-CAP).every((socket) => socket && !socket.destroyed && !socket.readableEnded), "the ones kept are the last opened");
    for (const socket of sockets) socket?.destroy();
  });

  it("takes a credential signed with another secret for a stranger's: its socket is closed like any other", async () => {
    const forger = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await send(server.port, { path: "/healthz", forged: true, agent: forger })).status, 200);
    const flood: (Socket | undefined)[] = [];
    for (let i = 0; i < 2 * CAP; i++) flood.push(await silentSocket(server.port));
    await until(() => open(flood) <= CAP);
    const again = await send(server.port, { path: "/healthz", forged: true, agent: forger });
    assert.equal(again.reused, false, "the forged credential vouched for nothing: its kept-alive socket was closed");
    for (const socket of flood) socket?.destroy();
    forger.destroy();
  });

  it("keeps a signed caller's socket through a flood of strangers, and serves its new ones during it", async () => {
    const gateway = new Agent({ keepAlive: true, maxSockets: 1 });
    const query = JSON.stringify({ query: "{ ping }" });
    assert.equal((await send(server.port, { path: "/graphql", method: "POST", signed: true, agent: gateway, body: query })).status, 200);
    // Vouched at any path: the gateway's image fetches reach products' public routes signed.
    const signedHealth = new Agent({ keepAlive: true, maxSockets: 1 });
    const unsignedHealth = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await send(server.port, { path: "/healthz", signed: true, agent: signedHealth })).status, 200);
    assert.equal((await send(server.port, { path: "/healthz", agent: unsignedHealth })).status, 200);

    const flood: (Socket | undefined)[] = [];
    for (let i = 0; i < 3 * CAP; i++) flood.push(await silentSocket(server.port));
    await until(() => open(flood) <= CAP);

    const again = await send(server.port, { path: "/graphql", method: "POST", signed: true, agent: gateway, body: query });
    assert.deepEqual([again.status, again.reused], [200, true], "the gateway's kept-alive socket was not closed");
    const health = await send(server.port, { path: "/healthz", signed: true, agent: signedHealth });
    assert.deepEqual([health.status, health.reused], [200, true], "a signed request on a public route vouches too");
    const stranger = await send(server.port, { path: "/healthz", agent: unsignedHealth });
    assert.equal(stranger.reused, false, "the unsigned kept-alive socket was closed as the oldest stranger");
    const fresh = await send(server.port, { path: "/graphql", method: "POST", signed: true, body: query });
    assert.equal(fresh.status, 200, "a new socket of the gateway is served while strangers hold their cap");
    for (const socket of flood) socket?.destroy();
    gateway.destroy();
    signedHealth.destroy();
    unsignedHealth.destroy();
  });
});

describe("a health port (the notification service's) and the sockets of strangers", () => {
  it(`holds at most ${CAP} sockets of one client, its probe and scraper being a few`, async () => {
    const health = await startHealthServer({ name: "toy-health", port: 0, host: "127.0.0.1" });
    try {
      const sockets: (Socket | undefined)[] = [];
      for (let i = 0; i < 3 * CAP; i++) sockets.push(await silentSocket(health.port));
      await until(() => open(sockets) <= CAP);
      assert.equal(open(sockets), CAP);
      assert.equal((await send(health.port, { path: "/healthz" })).status, 200, "a probe is still answered");
      for (const socket of sockets) socket?.destroy();
    } finally {
      await health.close();
    }
  });
});
