import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { GraphQLError } from "graphql";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createErrorFormatter, createLogger, createShutdownDelay, startSubgraphServer, subgraphReadiness } from "#kernel";
import { waitFor } from "#kernel/testing";
import { replicaUrls, ReplicaSet, sendToAReplica } from "#kernel/http/replica-set.ts";
import { PooledGraphQLDataSource } from "../src/performance/pooled-data-source.js";

/** A subgraph stand-in: /healthz answers, /graphql (and /readyz) count what they received and run `answer`. */
async function fakeReplica(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => res.end(JSON.stringify({ data: { ok: true } }))) {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((req, res) => {
        if (req.url === "/healthz") return void res.end("ok");
        let body = "";
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => {
          received.push(body);
          res.setHeader("content-type", "application/json");
          answer(req, res, body);
        });
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    received,
    /** Like kill -9: the listener goes and every open connection is cut. */
    async kill() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    restart: () => listen(port),
  };
}

const close: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of close) await step();
});

describe("ReplicaSet", () => {
  it("spreads requests over the healthy replicas, the least busy first", async () => {
    const set = new ReplicaSet({ name: "s", urls: ["http://127.0.0.1:1/graphql", "http://127.0.0.1:2/graphql", "http://127.0.0.1:3/graphql"], probe: async () => true });
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const replica = set.pick();
      counts.set(replica.origin, (counts.get(replica.origin) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [100, 100, 100]);
    // One replica busy with 5 requests: the next ones go to the other two.
    set.replicas[0]!.inFlight = 5;
    for (let i = 0; i < 10; i++) assert.notEqual(set.pick(), set.replicas[0]);
  });

  it("takes a replica whose health check fails out of rotation and back when it answers again", async () => {
    let up = true;
    const set = new ReplicaSet({ name: "s", urls: ["http://127.0.0.1:1/graphql", "http://127.0.0.1:2/graphql"], probe: async (origin) => up || !origin.endsWith(":1") });
    up = false;
    await set.checkAll();
    assert.deepEqual(set.states(), { "http://127.0.0.1:1": "down", "http://127.0.0.1:2": "up" });
    for (let i = 0; i < 10; i++) assert.equal(set.pick().origin, "http://127.0.0.1:2");
    up = true;
    await set.checkAll();
    assert.deepEqual(set.states(), { "http://127.0.0.1:1": "up", "http://127.0.0.1:2": "up" });
  });

  it("takes a replica out only after two health checks in a row ran out of time (a busy machine's own timers run late)", async () => {
    let slow = true;
    const set = new ReplicaSet({
      name: "s",
      urls: ["http://127.0.0.1:1/graphql", "http://127.0.0.1:2/graphql"],
      probe: async (origin) => {
        if (slow && origin.endsWith(":1")) throw Object.assign(new Error("timed out"), { name: "TimeoutError" });
        return true;
      },
    });
    await set.checkAll();
    assert.equal(set.replicas[0]!.healthy, true, "one slow check is not enough");
    slow = false;
    await set.checkAll();
    slow = true;
    await set.checkAll();
    assert.equal(set.replicas[0]!.healthy, true, "an answer in between starts the count again");
    await set.checkAll();
    assert.equal(set.replicas[0]!.healthy, false, "two in a row take it out");
  });

  it("spreads requests over every replica when all are out, rather than refusing", async () => {
    const set = new ReplicaSet({ name: "s", urls: ["http://127.0.0.1:1/graphql", "http://127.0.0.1:2/graphql"], probe: async () => false });
    await set.checkAll();
    assert.deepEqual(set.states(), { "http://127.0.0.1:1": "down", "http://127.0.0.1:2": "down" });
    const picked = new Set(Array.from({ length: 4 }, () => set.pick().origin));
    assert.equal(picked.size, 2);
  });

  it("reads a comma-separated list, ignoring blanks, and refuses an empty one", () => {
    assert.deepEqual(replicaUrls(" http://a/graphql, ,http://b/graphql,"), ["http://a/graphql", "http://b/graphql"]);
    assert.throws(() => new ReplicaSet({ name: "s", urls: replicaUrls(" , ") }), /No URL for s/);
    assert.throws(() => new ReplicaSet({ name: "s", urls: ["not a url"] }), /Invalid URL/);
  });
});

describe("balancing real connections", () => {
  it("takes a replica told to stop out of rotation while it still serves, before it stops accepting", async () => {
    const start = (delayMs: number) =>
      startSubgraphServer({
        name: "toy",
        schema: buildSubgraphSchema({ typeDefs: parse("type Query { ok: Boolean }"), resolvers: { Query: { ok: () => true } } }),
        internalSecret: "replica-balancing-secret-0123456789",
        logger: createLogger("silent"),
        extendContext: (base) => base,
        port: 0,
        host: "127.0.0.1",
        readiness: subgraphReadiness({ readiness: { shutdown: createShutdownDelay(delayMs), probes: {} } }, { needs: [] }),
      });
    const stopping = await start(10_000);
    const staying = await start(0);
    const set = new ReplicaSet({ name: "toy", urls: [stopping.url, staying.url] }).start();
    close.push(() => set.stop(), () => staying.close());
    const closed = stopping.close();
    close.push(() => closed);
    await waitFor("the stopping replica is out of rotation", () => set.replicas[0]!.healthy === false, { timeoutMs: 5_000 });
    assert.equal((await fetch(`${new URL(stopping.url).origin}/healthz`)).status, 200, "still accepting and serving");
    for (let i = 0; i < 4; i++) assert.equal(set.pick().url, staying.url);
  });

  it("drops a killed replica within a second, with no traffic, and takes it back once it listens again", async () => {
    const a = await fakeReplica();
    const b = await fakeReplica();
    close.push(a.kill, b.kill);
    const set = new ReplicaSet({ name: "s", urls: [a.url, b.url] }).start();
    close.push(() => set.stop());
    await a.kill();
    const killedAt = Date.now();
    await waitFor("the killed replica is out of rotation", () => set.replicas[0]!.healthy === false, { timeoutMs: 2_000 });
    assert.ok(Date.now() - killedAt <= 1_000, `dropped after ${Date.now() - killedAt} ms`);
    await a.restart();
    await waitFor("the replica is back in rotation", () => set.replicas[0]!.healthy, { timeoutMs: 2_000 });
  });

  it("answers every query of a burst while a replica dies under it: each one cut off goes to the other replica", async () => {
    const a = await fakeReplica((_req, res) => setTimeout(() => res.end(JSON.stringify({ data: { from: "a" } })), 30));
    const b = await fakeReplica((_req, res) => setTimeout(() => res.end(JSON.stringify({ data: { from: "b" } })), 5));
    close.push(a.kill, b.kill);
    const source = dataSource([a.url, b.url]);
    const burst = Array.from({ length: 60 }, () => source.process(request("query Q { ok }")));
    await waitFor("a has requests in flight", () => a.received.length > 5);
    await a.kill();
    const results = await Promise.all(burst);
    assert.equal(results.filter((result) => result.errors).length, 0, JSON.stringify(results.find((result) => result.errors)));
    // Once ejected, nothing more goes to the dead replica.
    const later = await Promise.all(Array.from({ length: 20 }, () => source.process(request("query Q { ok }"))));
    assert.ok(later.every((result) => (result.data as { from: string }).from === "b"));
  });

  it("never resends a mutation whose connection broke after it was sent: one delivery, and the error reaches the client", async () => {
    const cut = await fakeReplica((req) => req.socket.destroy());
    const other = await fakeReplica();
    close.push(cut.kill, other.kill);
    const source = dataSource([cut.url, other.url]);
    // Pick the cutting replica first (the other looks busy).
    (source as unknown as { replicasForTest: ReplicaSet }).replicasForTest.replicas[1]!.inFlight = 100;
    const cutOff = await source.process(request('mutation M { checkout(idempotencyKey: "k") { id } }')).then(
      () => assert.fail("a mutation cut off answered"),
      (error: unknown) => error,
    );
    assert.equal(cut.received.length, 1);
    assert.equal(other.received.length, 0, "the mutation went to one replica only");
    // The client is told what happened: the service went away mid-call (a process killed -9),
    // so the mutation may or may not have run and its retry under the same key is the way to
    // know; INTERNAL_SERVER_ERROR said it failed for good, and the typed client gave up on it.
    const lines: Record<string, unknown>[] = [];
    const format = createErrorFormatter(createLogger("warn", {}, (line) => lines.push(JSON.parse(line))));
    const error = new GraphQLError((cutOff as Error).message, { originalError: cutOff as Error, extensions: { code: "INTERNAL_SERVER_ERROR" } });
    const formatted = format({ message: error.message, path: ["checkout"], extensions: error.extensions }, error);
    assert.deepEqual(formatted.extensions, { code: "SERVICE_UNAVAILABLE" });
    assert.equal(lines[0]?.event, "dependency unavailable");
  });

  it("sends a mutation to another replica when the first refused the connection (it never arrived)", async () => {
    const dead = await fakeReplica();
    const alive = await fakeReplica();
    close.push(alive.kill);
    await dead.kill();
    const set = new ReplicaSet({ name: "s", urls: [dead.url, alive.url] });
    set.replicas[1]!.inFlight = 100;
    const sent: string[] = [];
    const answer = await sendToAReplica(set, false, async (replica) => {
      sent.push(replica.origin);
      const response = await fetch(replica.url, { method: "POST", body: '{"query":"mutation { x }"}' });
      return response.text();
    });
    assert.equal(JSON.parse(answer).data.ok, true);
    assert.deepEqual(sent, [new URL(dead.url).origin, new URL(alive.url).origin]);
    assert.equal(alive.received.length, 1);
    assert.equal(set.replicas[0]!.healthy, false, "the refusing replica is ejected");
  });
});

function dataSource(urls: string[]): PooledGraphQLDataSource {
  const replicas = new ReplicaSet({ name: "s", urls });
  const source = new PooledGraphQLDataSource({ url: urls.join(","), replicas, connections: 4, timeoutMs: 10_000, queueMs: 10_000, headersFor: () => ({}) });
  Object.assign(source, { replicasForTest: replicas });
  close.push(() => source.close());
  return source;
}

function request(query: string) {
  return {
    kind: "loading schema", // a request of the gateway itself: no incoming client request to trace
    request: { query, variables: {} },
    context: {},
  } as unknown as Parameters<PooledGraphQLDataSource["process"]>[0];
}
