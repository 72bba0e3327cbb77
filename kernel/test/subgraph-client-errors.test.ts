import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createSubgraphClient, DependencyFailed } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";

/**
 * What a subgraph's call to another becomes, by how the callee answered: the caller's client
 * is told SERVICE_UNAVAILABLE ("please retry") in both failure kinds, but only an outage is
 * transient for an event handler; a callee's unexpected error counts toward dead-lettering.
 */
describe("a subgraph client's errors, by the callee's answer", () => {
  let server: Server;
  let answer: { status: number; body: string } = { status: 200, body: "{}" };
  let url: string;
  before(async () => {
    server = createServer((_request, response) => {
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function failureFor(status: number, body: unknown): Promise<unknown> {
    answer = { status, body: typeof body === "string" ? body : JSON.stringify(body) };
    const client = createSubgraphClient({ url, audience: "inventory", internalSecret: "test-internal-secret-0123456789", serviceName: "orders" });
    try {
      await client.request(`mutation { commitReservation(reservationId: "r1") { id } }`);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await client.close();
    }
  }
  const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

  it("the callee's INTERNAL_SERVER_ERROR: SERVICE_UNAVAILABLE to clients, not transient for event handlers", async () => {
    const error = await failureFor(200, { errors: [{ message: "Something went wrong on our side; please try again", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    assert.ok(error instanceof DependencyFailed);
    assert.equal(codeOf(error), "SERVICE_UNAVAILABLE");
    assert.equal(isTransientInfrastructureError(error), false);
  });

  it("an answer without data or errors: the callee's fault, not transient", async () => {
    const error = await failureFor(200, {});
    assert.equal(codeOf(error), "SERVICE_UNAVAILABLE");
    assert.equal(isTransientInfrastructureError(error), false);
  });

  it("the callee's own SERVICE_UNAVAILABLE (its database restarting) and a proxy's bare 503: transient", async () => {
    const passedOn = await failureFor(200, { errors: [{ message: "A service this operation needs is unavailable for a moment; please retry", extensions: { code: "SERVICE_UNAVAILABLE" } }] });
    assert.equal(codeOf(passedOn), "SERVICE_UNAVAILABLE");
    assert.equal(isTransientInfrastructureError(passedOn), true);
    const bare = await failureFor(503, "upstream connect error");
    assert.equal(codeOf(bare), "SERVICE_UNAVAILABLE");
    assert.equal(isTransientInfrastructureError(bare), true);
  });

  it("a coded refusal passes through with its code, about the request", async () => {
    const error = await failureFor(200, { errors: [{ message: "Reservation r1 expired", extensions: { code: "RESERVATION_EXPIRED", reservationId: "r1" } }] });
    assert.equal(codeOf(error), "RESERVATION_EXPIRED");
    assert.equal(isTransientInfrastructureError(error), false);
  });

  it("a relayed refusal is an answer: it carries no stack frames, as the caller's own refusals do not", async () => {
    const error = await failureFor(200, { errors: [{ message: "Product prod_1 is out of stock", extensions: { code: "OUT_OF_STOCK", variantId: "prod_1", available: 0 } }] });
    assert.equal(codeOf(error), "OUT_OF_STOCK");
    assert.deepEqual((error as { extensions: Record<string, unknown> }).extensions, { code: "OUT_OF_STOCK", variantId: "prod_1", available: 0 });
    assert.doesNotMatch((error as Error).stack ?? "", /\n\s+at /);
  });
});
