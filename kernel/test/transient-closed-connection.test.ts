// A PostgreSQL restart closes every pooled connection. Prisma reports a raw statement that meets
// one as "Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`" (P2010),
// not as P1017 the way its own queries say it: the inventory's stock field answered
// INTERNAL_SERVER_ERROR through the restart (chaos run, the database behind a proxy that cut
// its connections), and an event handler meeting it counted it toward the dead-letter topic.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import { createErrorFormatter, createLogger, EmbeddedEventBus, ErrorCode, newEvent, withDeadLetter, type DomainEvent } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startCuttableProxy, type CuttableProxy } from "#kernel/testing";
import { createTestDatabase } from "../../test/support/test-database.js";

describe("a raw statement on a connection the database closed", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: CuttableProxy;
  let prisma: PrismaClient;
  let closed: unknown;
  before(async () => {
    database = await createTestDatabase("embedded");
    const target = new URL(database.url);
    proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port) });
    prisma = createPrismaClient(proxy.via(database.url), { poolSize: 1 });
    await prisma.$queryRaw`SELECT 1`;
    // The restart: the pooled connection is reset, the server is back at once.
    await proxy.refuse();
    await proxy.pass();
    closed = await prisma.$queryRaw`SELECT 1`.then(
      () => assert.fail("a closed connection answered"),
      (failure: unknown) => failure,
    );
  });
  after(async () => {
    await prisma?.$disconnect().catch(() => undefined);
    await proxy?.close();
    await database?.drop();
  });

  it("is an outage: clients are told SERVICE_UNAVAILABLE", () => {
    assert.match(String(closed), /Server has closed the connection/);
    assert.equal(isTransientInfrastructureError(closed), true, String(closed));
    const wrapped = new GraphQLError("unexpected", { originalError: closed as Error });
    assert.equal(createErrorFormatter(createLogger("silent"))(wrapped.toJSON(), wrapped).extensions?.code, ErrorCode.SERVICE_UNAVAILABLE);
  });

  it("never sends the event its handler met it with to the dead-letter topic", async () => {
    const bus = new EmbeddedEventBus();
    const dead: DomainEvent[] = [];
    await bus.subscribe({ topic: "payments.events.dead-letter", group: "watch", handle: async (event) => void dead.push(event) });
    const handle = withDeadLetter({ bus, topic: "payments.events", consumer: "orders", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
      throw closed;
    });
    const confirmed = newEvent("PaymentConfirmed", "ord_1", { orderId: "ord_1" });
    for (let attempt = 0; attempt < 6; attempt++) await assert.rejects(handle(confirmed));
    await bus.close();
    assert.deepEqual(dead, []);
  });

  it("is recovered from without a restart: the next statement answers", async () => {
    assert.deepEqual(await prisma.$queryRaw<{ one: number }[]>`SELECT 1 AS one`, [{ one: 1 }]);
  });
});
