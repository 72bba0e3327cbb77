// A database that accepts connections but never answers (a hung server, a network that drops
// packets) must read as an outage to clients: SERVICE_UNAVAILABLE, retry. Prisma's refusal to
// start a transaction within its maxWait read as a bug: an add to cart answered
// INTERNAL_SERVER_ERROR, which a client takes as final (chaos run, PostgreSQL stalled 10 s).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import { createErrorFormatter, createLogger, ErrorCode } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startCuttableProxy, type CuttableProxy } from "#kernel/testing";

describe("a transaction that cannot start on a stalled database", () => {
  let proxy: CuttableProxy;
  let prisma: PrismaClient;
  before(async () => {
    // Nothing behind it needs to exist: a stalled proxy accepts and never answers.
    proxy = await startCuttableProxy({ host: "127.0.0.1", port: 1 });
    await proxy.stall();
    prisma = createPrismaClient(`postgresql://nobody:nothing@127.0.0.1:${proxy.port}/none`, { poolSize: 1 });
  });
  after(async () => {
    await prisma.$disconnect().catch(() => undefined);
    await proxy.close();
  });

  it("fails with an error clients are told to retry", async () => {
    const error = await prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 200 }).then(
      () => assert.fail("the stalled database answered"),
      (failure: unknown) => failure,
    );
    assert.equal((error as { code?: string }).code, "P2028", String(error));
    assert.equal(isTransientInfrastructureError(error), true);
    const format = createErrorFormatter(createLogger("silent"));
    const wrapped = new GraphQLError("unexpected", { originalError: error as Error });
    assert.equal(format(wrapped.toJSON(), wrapped).extensions?.code, ErrorCode.SERVICE_UNAVAILABLE);
  });
});
