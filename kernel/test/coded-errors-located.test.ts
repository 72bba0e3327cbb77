// graphql-js locates every error a resolver throws in a new GraphQLError, capturing a stack twice
// for it (the Error constructor, then captureStackTrace): a page of 3,000 coded errors spent 37%
// of the platform's CPU in that constructor, building stacks nobody reads.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { badInput, createLogger, INTERNAL_HEADER, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";

const SECRET = "coded-errors-located-test-secret-0123456789";

const typeDefs = parse(`
  type Item { id: ID!, size(width: Int!): Int, later(width: Int!): Int, broken: Int }
  type Query { items: [Item!]!, item: Item }
`);

const checkedWidth = (width: number) => {
  if (width < 1) throw badInput("width is 1 to 10000 pixels", { field: "width" });
  return width;
};

describe("coded errors a subgraph's resolvers throw", () => {
  let server: RunningServer;
  const logs: string[] = [];
  before(async () => {
    const schema = buildSubgraphSchema({
      typeDefs,
      resolvers: {
        Query: { items: () => [{ id: "1" }, { id: "2" }, { id: "3" }], item: () => ({ id: "9" }) },
        Item: {
          size: (_item: unknown, { width }: { width: number }) => checkedWidth(width),
          later: async (_item: unknown, { width }: { width: number }) => checkedWidth(width),
          broken: () => {
            throw new TypeError("Cannot read properties of undefined (reading 'x')");
          },
        },
      },
    });
    server = await startSubgraphServer({ name: "toy", schema, internalSecret: SECRET, logger: createLogger("debug", {}, (line) => logs.push(line)), extendContext: (base) => base, port: 0, host: "127.0.0.1" });
  });
  after(() => server?.close());

  /** Runs `query`, counting the stacks captured meanwhile with frames to record. */
  async function run(query: string) {
    const capture = Error.captureStackTrace;
    let stacksCaptured = 0;
    Error.captureStackTrace = function (target: object, constructorOpt?: Function) {
      if (Error.stackTraceLimit > 0) stacksCaptured += 1;
      return capture.call(Error, target, constructorOpt);
    } as typeof Error.captureStackTrace;
    try {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "toy", requestId: "test" }) },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: any; errors?: { message: string; path?: unknown[]; locations?: unknown[]; extensions?: Record<string, unknown> }[] };
      return { body, stacksCaptured };
    } finally {
      Error.captureStackTrace = capture;
    }
  }

  it("are answered located at their fields, in sync and async resolvers, with no stack captured for them", async () => {
    const { body, stacksCaptured } = await run("{ items { id a: size(width: 0) b: later(width: 0) ok: size(width: 5) } }");
    assert.equal(stacksCaptured, 0);
    assert.deepEqual(
      body.data.items.map((item: Record<string, unknown>) => [item.a, item.b, item.ok]),
      [[null, null, 5], [null, null, 5], [null, null, 5]],
    );
    assert.equal(body.errors?.length, 6);
    for (const error of body.errors!) {
      assert.equal(error.message, "width is 1 to 10000 pixels");
      assert.equal(error.extensions?.code, "BAD_USER_INPUT");
      assert.equal(error.extensions?.field, "width");
      assert.ok(error.locations?.length, "located in the query text");
      assert.match(JSON.stringify(error.path), /^\["items",[0-2],"[ab]"\]$/);
    }
  });

  it("leave an uncoded error to graphql-js: masked to the client, logged with its stack", async () => {
    logs.length = 0;
    const { body } = await run("{ item { broken } }");
    assert.equal(body.errors?.[0]?.extensions?.code, "INTERNAL_SERVER_ERROR");
    assert.deepEqual(body.errors?.[0]?.path, ["item", "broken"]);
    assert.ok(logs.some((line) => line.includes("TypeError") && line.includes("at ")), "the log holds the bug's stack frames");
  });
});
