import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { createSubgraphClient } from "#kernel";

/**
 * A service-to-service call over replicas, by how the first one failed: what may have arrived
 * is never sent twice, what cannot have arrived goes to the next replica. The first call of a
 * fresh client goes to the first replica listed.
 */
describe("a subgraph client's call when a replica fails under it", () => {
  const closers: (() => Promise<void>)[] = [];
  after(() => Promise.all(closers.map((close) => close())));

  async function replica(handle: (request: IncomingMessage, response: ServerResponse) => void) {
    const received: string[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push(body);
        handle(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
    closers.push(close);
    return { url, received, close };
  }
  const answering = () => replica((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { ok: true } })));
  const cutting = () => replica((request) => request.socket.destroy());
  const clientOf = (...urls: string[]) => {
    const client = createSubgraphClient({ url: urls.join(","), audience: "inventory", internalSecret: "test-internal-secret-0123456789", serviceName: "orders" });
    closers.push(client.close);
    return client;
  };

  it("a mutation cut off after it was sent is not sent again: SERVICE_UNAVAILABLE, one delivery", async () => {
    const cut = await cutting();
    const other = await answering();
    const error = await clientOf(cut.url, other.url).request(`mutation { commitReservation(reservationId: "r1") { id } }`).then(
      () => assert.fail("a mutation cut off answered"),
      (failure: unknown) => failure,
    );
    assert.equal((error as { extensions?: { code?: string } }).extensions?.code, "SERVICE_UNAVAILABLE");
    assert.equal(cut.received.length, 1);
    assert.equal(other.received.length, 0, "the mutation went to one replica only");
  });

  it("a query cut off is answered by the other replica", async () => {
    const cut = await cutting();
    const other = await answering();
    assert.deepEqual(await clientOf(cut.url, other.url).request(`query { ok }`), { ok: true });
    assert.equal(cut.received.length, 1);
    assert.equal(other.received.length, 1);
  });

  it("a mutation whose connection was refused goes to the other replica, once", async () => {
    const dead = await answering();
    await dead.close();
    const other = await answering();
    assert.deepEqual(await clientOf(dead.url, other.url).request(`mutation { commitReservation(reservationId: "r1") { id } }`), { ok: true });
    assert.equal(other.received.length, 1);
    assert.match(other.received[0]!, /commitReservation/);
  });
});
