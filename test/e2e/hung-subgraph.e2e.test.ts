// A subgraph that accepts requests and never answers (a frozen process, a stuck event loop, a
// network black hole) must cost the gateway's callers a bounded wait and a retryable code,
// not minutes, and must not hold up what does not need it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createLogger, EmbeddedEventBus, loadConfig } from "#kernel";
import { startGateway, type RunningGateway } from "../../gateway/src/gateway-server.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { postGraphQL } from "../support/graphql-client.js";
import { waitFor } from "#kernel/testing";
import { scrape, total } from "../support/prometheus-scrape.js";

/** Accepts connections and reads everything, answering nothing. */
async function blackHole(): Promise<{ url: string; received: () => number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let bytes = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => (bytes += chunk.length));
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received: () => bytes,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("a subgraph that never answers", () => {
  // Long enough that a loaded machine answers what does not need the hung subgraph first.
  const TIMEOUT_MS = 3_000;
  let sg: TestSupergraph;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let gateway: RunningGateway;
  let gatewayUrl: string;
  const bus = new EmbeddedEventBus();

  before(async () => {
    sg = await startTestSupergraph();
    hole = await blackHole();
    // A second gateway on the same subgraphs, but with search and cart replaced by the black hole.
    const urls = Object.fromEntries(Object.entries(sg.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url]));
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", ...urls, SEARCH_URL: hole.url, CART_URL: hole.url, GATEWAY_SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) });
    gateway = await startGateway({ config, logger: createLogger("silent"), bus, port: 0 });
    gatewayUrl = gateway.url;
  });
  after(async () => {
    await gateway?.close();
    await hole?.close();
    await bus.close();
    await sg?.close();
  });

  it("answers a query that needs it with SERVICE_UNAVAILABLE within the subgraph deadline", async () => {
    const started = Date.now();
    const res = await postGraphQL(gatewayUrl, `{ search(query: "lamp") { totalCount } }`, {});
    const elapsed = Date.now() - started;
    assert.ok(hole.received() > 0, "the request reached the black hole");
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.ok(elapsed >= TIMEOUT_MS * 0.9 && elapsed < TIMEOUT_MS + 2_000, `answered after ${elapsed} ms`);
  });

  it("answers a mutation that needs it the same way, once: a mutation is never sent twice", async () => {
    const token = await sg.token("hung-cart");
    const before = hole.received();
    const started = Date.now();
    const res = await postGraphQL(gatewayUrl, `mutation { addToCart(productId: "prod_0000001", quantity: 1) { totalQuantity } }`, {}, { token });
    assert.equal(res.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", JSON.stringify(res.errors));
    assert.ok(Date.now() - started < TIMEOUT_MS + 2_000);
    const sent = hole.received() - before;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(hole.received() - before, sent, "nothing sent again after the deadline");
  });

  it("keeps serving what does not need it while requests wait on it", async () => {
    let answeredWaiting = 0;
    const waiting = Array.from({ length: 20 }, () => postGraphQL(gatewayUrl, `{ search(query: "lamp") { totalCount } }`, {}).finally(() => (answeredWaiting += 1)));
    const res = await postGraphQL(gatewayUrl, `{ product(id: "prod_0000001") { id name } }`, {});
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data?.product?.id, "prod_0000001");
    // Ordering, not a stopwatch: no waiting search can be answered before its deadline.
    assert.equal(answeredWaiting, 0, "served while every request for the hung subgraph still waited");
    const codes = (await Promise.all(waiting)).map((r) => r.errors?.[0]?.extensions?.code);
    assert.deepEqual(new Set(codes), new Set(["SERVICE_UNAVAILABLE"]));
  });
});

describe("a client that goes away before its answer", () => {
  let sg: TestSupergraph;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let gateway: RunningGateway;
  const bus = new EmbeddedEventBus();

  before(async () => {
    sg = await startTestSupergraph();
    hole = await blackHole();
    const urls = Object.fromEntries(Object.entries(sg.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url]));
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", ...urls, SEARCH_URL: hole.url, GATEWAY_SUBGRAPH_TIMEOUT_MS: "30000" });
    gateway = await startGateway({ config, logger: createLogger("silent"), bus, port: 0 });
  });
  after(async () => {
    await gateway?.close();
    await hole?.close();
    await bus.close();
    await sg?.close();
  });

  it("stops the subgraph calls it was waiting on, long before their deadline", async () => {
    const failedCalls = async () => total(await scrape(gateway.url), "storefront_gateway_subgraph_request_duration_seconds_count", { subgraph: "search", outcome: "abandoned" });
    const failedBefore = await failedCalls();
    const client = new AbortController();
    const asked = fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `{ search(query: "lamp") { totalCount } }` }), signal: client.signal }).catch(() => undefined);
    await waitFor("the gateway is asking the subgraph", () => hole.received() > 0 && hole.open() > 0);
    client.abort();
    await asked;
    // The call ends now (abandoned, not counted against the subgraph), not at its 30 s deadline.
    await waitFor("the gateway dropped its call to the subgraph", async () => (await failedCalls()) === failedBefore + 1, { timeoutMs: 3_000 });
    assert.equal((await postGraphQL(gateway.url, `{ product(id: "prod_0000001") { id } }`, {})).data?.product?.id, "prod_0000001");
  });
});
