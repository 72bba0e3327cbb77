import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import {
  createInProcessCaller,
  createLogger,
  createSubgraphClient,
  DependencyFailed,
  DomainError,
  ErrorCode,
  isTransientInfrastructureError,
  outOfStock,
  startSubgraphServer,
  type RunningServer,
} from "#kernel";

const SECRET = "in-process-call-test-secret-0123456789";
const DRIVER_TEXT = "\nInvalid `prisma.stockLevel.update()` invocation in\n/srv/storefront/subgraphs/inventory/src/adapters/prisma-stock-ledger.ts:30:38\n\nDatabase error. Code: `22021`.";

/** The ways a callee's service fails, each thrown by the same function on both paths. */
const failures: Record<string, () => unknown> = {
  "a coded refusal with details": () => Object.assign(outOfStock("prod_1:2", 0), { extensions: { ...outOfStock("prod_1:2", 0).extensions, reserved: 3 } }),
  "the callee's own SERVICE_UNAVAILABLE": () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "Try again in a moment", { retryAfterSeconds: 1 }),
  "a coded error whose message shows driver text": () => new DomainError(ErrorCode.NOT_FOUND, DRIVER_TEXT),
  "a database restarting (SQLSTATE 57P01)": () => Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
  "Prisma unable to reach the database": () => Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: "P1001" }),
  "a bug (a plain Error with driver text)": () => new Error(DRIVER_TEXT),
  "the callee's DependencyFailed": () => new DependencyFailed(),
  "a thrown string": () => "not an error",
};

/** What a caller can see of an error: its code, message, extensions, class and transience. */
function seen(error: unknown) {
  const { message, extensions } = error as { message: string; extensions?: Record<string, unknown> };
  return { message, extensions, dependencyFailed: error instanceof DependencyFailed, transient: isTransientInfrastructureError(error) };
}

/**
 * A service called in this process answers as the same service behind its subgraph server
 * would over HTTP: the one-process layout saves the hop, never changes an answer.
 */
describe("a call to another subgraph's service in this process", () => {
  let server: RunningServer;
  let client: ReturnType<typeof createSubgraphClient>;
  const logger = createLogger("silent");
  const call = createInProcessCaller({ service: "callee", logger, timeoutMs: 200 });
  const fail = async (how: string): Promise<string> => {
    throw failures[how]!();
  };

  before(async () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse(`type Query { ok: String }\ntype Mutation { fail(how: String!): String }`),
      resolvers: { Mutation: { fail: (_root: unknown, { how }: { how: string }) => fail(how) } },
    });
    server = await startSubgraphServer({ name: "callee", schema, internalSecret: SECRET, logger, extendContext: (base) => base, port: 0, host: "127.0.0.1" });
    client = createSubgraphClient({ url: server.url, audience: "callee", internalSecret: SECRET, serviceName: "caller" });
  });
  after(async () => {
    await client?.close();
    await server?.close();
  });

  for (const how of Object.keys(failures)) {
    it(`answers ${how} as the subgraph client does`, async () => {
      const overHttp = await client.request(`mutation ($how: String!) { fail(how: $how) }`, { how }).then(
        () => assert.fail("the callee answered"),
        (error: unknown) => error,
      );
      const inProcess = await call("fail", () => fail(how)).then(
        () => assert.fail("the callee answered"),
        (error: unknown) => error,
      );
      assert.deepEqual(seen(inProcess), seen(overHttp));
    });
  }

  it("passes a refusal's extensions on (the sold-out memo reads `reserved`)", async () => {
    const error = await call("fail", () => fail("a coded refusal with details")).catch((e: unknown) => e);
    assert.equal((error as DomainError).extensions.code, ErrorCode.OUT_OF_STOCK);
    assert.equal((error as DomainError).extensions.reserved, 3);
  });

  it("keeps the original error as the cause, for the log", async () => {
    const error = await call("fail", () => fail("a database restarting (SQLSTATE 57P01)")).catch((e: unknown) => e);
    assert.equal(((error as Error).cause as { code?: string }).code, "57P01");
  });

  it("answers SERVICE_UNAVAILABLE, transient, when the service gives no answer by the deadline", async () => {
    const error = await call("fail", () => new Promise(() => undefined)).catch((e: unknown) => e);
    assert.equal((error as DomainError).extensions.code, ErrorCode.SERVICE_UNAVAILABLE);
    assert.equal(isTransientInfrastructureError(error), true);
  });

  it("answers what the service answers", async () => {
    assert.deepEqual(await call("reserve", async () => ({ taken: true })), { taken: true });
  });

  it("builds no error for a call answered in time: the deadline's error is made only when it passes", async () => {
    const capture = Error.captureStackTrace;
    let captured = 0;
    Error.captureStackTrace = (...args: Parameters<typeof capture>) => {
      captured += 1;
      return capture(...args);
    };
    try {
      for (let i = 0; i < 5; i++) assert.deepEqual(await call("reserve", async () => ({ taken: true })), { taken: true });
    } finally {
      Error.captureStackTrace = capture;
    }
    assert.equal(captured, 0, "no stack captured for five answered calls (one error built each before)");
  });
});
