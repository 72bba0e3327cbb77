// A subgraph's /readyz is what takes it out of a Service: it must fail while an engine the
// subgraph cannot answer without is down or hangs (its requests would only fail), and from
// the moment it is told to stop, while it keeps serving for the shutdown delay.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { cachedEngineReadiness, createLogger, createShutdownDelay, INTERNAL_HEADER, postgresProbe, signInternalCredential, startSubgraphServer, subgraphReadiness, type RunningServer, type ShutdownDelay } from "#kernel";
import { describeWithRealEngine, startCuttableProxy, waitFor, type CuttableProxy } from "#kernel/testing";

const SECRET = "subgraph-readiness-test-secret-0123456789";

function startToy(name: string, readiness: ReturnType<typeof subgraphReadiness>, slow?: () => Promise<void>): Promise<RunningServer> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(`type Query { hello: String, slow: String }`),
    resolvers: { Query: { hello: () => "hi", slow: async () => (await slow?.(), "done") } },
  });
  return startSubgraphServer({ name, schema, internalSecret: SECRET, logger: createLogger("silent"), extendContext: (base) => base, port: 0, host: "127.0.0.1", readiness });
}

const origin = (server: RunningServer) => new URL(server.url).origin;
const status = async (url: string) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
};
const ask = async (server: RunningServer, query: string) => {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "first", requestId: "readiness-test" }) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, string> } };
};

describeWithRealEngine({ suite: "subgraph readiness over its engines", engine: "postgresql", variable: "DATABASE_URL" }, (databaseUrl) => {
  describe("a subgraph's /readyz over the engines it needs [postgresql]", () => {
    let proxy: CuttableProxy;
    let server: RunningServer;
    let probes: { relational: ReturnType<typeof postgresProbe>; cache: () => Promise<void> };
    before(async () => {
      const target = new URL(databaseUrl);
      proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
      probes = { relational: postgresProbe(proxy.via(databaseUrl)), cache: () => Promise.reject(new Error("Redis is away")) };
      const platform = { readiness: { shutdown: createShutdownDelay(0), probes } };
      server = await startToy("toy", subgraphReadiness(platform, { needs: ["relational"], uses: ["cache"] }));
    });
    after(async () => {
      await server?.close();
      await probes?.relational.close?.();
      await proxy?.close();
    });

    it("is ready while its database answers, a cache it falls back from down or not", async () => {
      const response = await fetch(`${origin(server)}/readyz`);
      const body = (await response.json()) as { ready: boolean; engines: Record<string, string> };
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.engines.relational, "up");
      assert.match(body.engines.cache!, /^down: Redis is away/);
    });

    it("is not ready while its database refuses connections, alive all along, and ready again once it is back", async () => {
      await proxy.refuse();
      await waitFor("readiness fails", async () => (await status(`${origin(server)}/readyz`)) === 503, { timeoutMs: 20_000, intervalMs: 200 });
      assert.equal(await status(`${origin(server)}/healthz`), 200, "alive: a restart brings no database back");
      await proxy.pass();
      await waitFor("ready again", async () => (await status(`${origin(server)}/readyz`)) === 200, { timeoutMs: 20_000, intervalMs: 200 });
    });

    it("is not ready, and still answers the probe, while its database accepts connections but never answers", async () => {
      await proxy.stall();
      await waitFor("readiness fails", async () => (await status(`${origin(server)}/readyz`)) === 503, { timeoutMs: 20_000, intervalMs: 200 });
      const body = (await (await fetch(`${origin(server)}/readyz`)).json()) as { engines: Record<string, string> };
      assert.match(body.engines.relational!, /^down: /);
      await proxy.pass();
      await waitFor("ready again", async () => (await status(`${origin(server)}/readyz`)) === 200, { timeoutMs: 20_000, intervalMs: 200 });
    });
  });
});

describe("a subgraph told to stop, within its process's shutdown delay", () => {
  let shutdown: ShutdownDelay;
  let first: RunningServer;
  let second: RunningServer;
  let releaseSlow!: () => void;
  const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
  before(async () => {
    shutdown = createShutdownDelay(3_000);
    const platform = { readiness: { shutdown, probes: {} } };
    first = await startToy("first", subgraphReadiness(platform, { needs: [] }), () => slowGate);
    second = await startToy("second", subgraphReadiness(platform, { needs: [] }));
  });
  after(async () => {
    releaseSlow();
    await first?.close();
    await second?.close();
  });

  it("fails readiness at once in every subgraph of the process, finishes what it was answering, answers what comes meanwhile, then stops accepting", async () => {
    assert.equal(await status(`${origin(first)}/readyz`), 200, "ready before the stop");
    const inFlight = ask(first, "{ slow }");
    await new Promise((resolve) => setTimeout(resolve, 50));

    const closing = first.close();
    assert.equal(shutdown.stopping, true);
    const sentMeanwhile = Promise.all(Array.from({ length: 20 }, () => ask(first, "{ hello }")));
    assert.equal(await status(`${origin(first)}/readyz`), 503, "not ready once told to stop");
    assert.equal(await status(`${origin(second)}/readyz`), 503, "the process's other subgraphs say so too");
    assert.equal(await status(`${origin(first)}/healthz`), 200, "alive: an orchestrator must not kill it meanwhile");
    // No connection kept past its answer meanwhile: one kept idle was cut at the delay's end while its client sent on it.
    const answered = await fetch(`${origin(first)}/healthz`);
    await answered.arrayBuffer();
    assert.equal(answered.headers.get("connection"), "close");
    for (const answer of await sentMeanwhile) assert.deepEqual(answer, { status: 200, body: { data: { hello: "hi" } } });

    releaseSlow();
    assert.deepEqual(await inFlight, { status: 200, body: { data: { slow: "done" } } }, "the request in flight at the stop is answered");
    await closing;
    await assert.rejects(fetch(`${origin(first)}/healthz`), "closed once the delay and the drain are over");
  });
});

describe("a readiness report past its reuse", () => {
  it("is answered at once while the next one is made, so no check waits on a hung engine's probe", async () => {
    let now = 0;
    let answer: () => Promise<void> = async () => undefined;
    const report = cachedEngineReadiness({ needs: { relational: () => answer() } }, 2_000, () => now);
    assert.equal((await report()).ready, true);
    answer = () => new Promise(() => undefined);
    now = 5_000;
    const next = report();
    const atOnce = await Promise.race([next.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
    assert.equal(atOnce, true, "the last report, without waiting for the hung probe");
    assert.equal((await next).ready, true);
  });
});
