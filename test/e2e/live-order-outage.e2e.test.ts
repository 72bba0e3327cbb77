// A live order subscription across a subgraph outage: the order's status moves while the
// orders subgraph cannot be reached from the gateway serving the subscription, and the
// subscriber still gets it, on the same subscription, once the subgraph answers again.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createLogger, loadConfig, type EventBus } from "#kernel";
import { startGateway, type RunningGateway } from "../../gateway/src/gateway-server.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket, type ServerMessage } from "../support/raw-graphql-websocket.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { waitFor } from "#kernel/testing";

/**
 * A TCP proxy to a subgraph that can be stopped (its connections cut and its port closed, as
 * when the subgraph's process dies) and started again on the same port.
 */
async function switchableProxy(target: URL) {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    open.add(client).add(upstream);
    for (const socket of [client, upstream]) {
      socket.on("error", () => undefined);
      socket.on("close", () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    down() {
      server.close();
      for (const socket of open) socket.destroy();
    },
    up: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    close: () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  };
}

async function paidOrder(sg: TestSupergraph, customer: string, productId: string, key: string): Promise<string> {
  await sg.query(`mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { totalQuantity } }`, { id: productId }, customer);
  const placed = await sg.query(`mutation { checkout(idempotencyKey: "${key}", ${TEST_DESTINATION}) { id } }`, {}, customer);
  const orderId = placed.data!.checkout.id as string;
  await waitFor("the order is PAID", async () => (await sg.query(`query($id: ID!) { order(id: $id) { status } }`, { id: orderId }, customer)).data?.order?.status === "PAID", { timeoutMs: 15_000 });
  return orderId;
}

const statusesOf = (messages: ServerMessage[], id: string) =>
  messages.filter((m) => m.id === id && m.type === "next" && m.payload?.data?.orderStatusChanged).map((m) => m.payload.data.orderStatusChanged.status as string);

describe("a live order subscription across an outage of the orders subgraph", () => {
  let sg: TestSupergraph;
  let bus: EventBus | undefined;
  let orders: Awaited<ReturnType<typeof switchableProxy>>;
  let gateway: RunningGateway;

  before(async () => {
    sg = await startTestSupergraph({ decorateBus: (shared) => (bus = shared) });
    orders = await switchableProxy(new URL(sg.subgraphUrls.orders!));
    // A second gateway hearing the same status events, reaching orders through the proxy only.
    const urls = Object.fromEntries(Object.entries(sg.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url]));
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", ...urls, ORDERS_URL: orders.url, GATEWAY_SUBGRAPH_TIMEOUT_MS: "2000" });
    gateway = await startGateway({ config, logger: createLogger("silent"), bus: bus!, port: 0 });
  });
  after(async () => {
    await gateway?.close();
    await orders?.close();
    await sg?.close();
  });

  it("delivers the status that changed during the outage on the same subscription, reports a long outage without ending, and follows on", async () => {
    const customer = await sg.token("live-outage");
    const admin = await sg.token("live-outage-admin", ["customer", "admin"]);
    const orderId = await paidOrder(sg, customer, "prod_0000003", "live-outage");

    const socket = await RawGraphQLSocket.connect(gateway.url, customer);
    socket.subscribe("live", { query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status payment { status } } }`, variables: { id: orderId } });
    await socket.waitFor((m) => m.id === "live" && m.type === "next");
    assert.deepEqual(statusesOf(socket.messages, "live"), ["PAID"]);

    orders.down();
    // Shipped through the platform's own gateway: the event reaches the subscription's gateway,
    // whose re-read cannot reach orders.
    assert.equal((await sg.query(`mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: orderId }, admin)).data?.shipOrder.status, "SHIPPED");
    // A failure that lasts is told, as a retrying error, and the stream stays open.
    const reported = await socket.waitFor((m) => m.id === "live" && m.type === "next" && m.payload?.errors !== undefined, 8_000);
    assert.equal(reported.payload.errors[0].extensions.code, "SERVICE_UNAVAILABLE", JSON.stringify(reported));
    assert.equal(reported.payload.errors[0].extensions.retrying, true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(socket.messages.find((m) => m.id === "live" && m.type === "complete"), undefined, "the outage did not end the stream");

    await orders.up();
    await socket.waitFor((m) => m.id === "live" && statusesOf([m], "live")[0] === "SHIPPED", 10_000);
    assert.equal((await sg.query(`mutation($id: ID!) { deliverOrder(id: $id) { status } }`, { id: orderId }, admin)).data?.deliverOrder.status, "DELIVERED");
    await socket.waitFor((m) => m.id === "live" && statusesOf([m], "live")[0] === "DELIVERED", 10_000);
    assert.deepEqual(statusesOf(socket.messages, "live"), ["PAID", "SHIPPED", "DELIVERED"]);
    assert.equal(socket.messages.find((m) => m.id === "live" && (m.type === "complete" || m.type === "error")), undefined);
    assert.equal(socket.closed, undefined);
    socket.close();
  });

  it("retries a short failure unseen: the status arrives with no error in between", async () => {
    const customer = await sg.token("live-blip");
    const admin = await sg.token("live-blip-admin", ["customer", "admin"]);
    const orderId = await paidOrder(sg, customer, "prod_0000004", "live-blip");
    const socket = await RawGraphQLSocket.connect(gateway.url, customer);
    socket.subscribe("blip", { query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }`, variables: { id: orderId } });
    await socket.waitFor((m) => m.id === "blip" && m.type === "next");
    orders.down();
    await sg.query(`mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: orderId }, admin);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await orders.up();
    await socket.waitFor((m) => m.id === "blip" && statusesOf([m], "blip")[0] === "SHIPPED", 10_000);
    assert.deepEqual(
      socket.messages.filter((m) => m.id === "blip").map((m) => m.type),
      ["next", "next"],
      "the current state, then SHIPPED: nothing in between and no complete",
    );
    socket.close();
  });
});
