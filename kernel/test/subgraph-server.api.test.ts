import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createHmac, randomUUID } from "node:crypto";
import { badInput, createLogger, INTERNAL_HEADER, sharedInternalCredentialVerifier, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";

const SECRET = "subgraph-server-test-secret-0123456789";
const PRISMA_MESSAGE =
  "\nInvalid `prisma.order.findUnique()` invocation in\n/srv/storefront/subgraphs/orders/src/adapters/prisma-order.store.ts:30:38\n\nDatabase error. Code: `22021`. Message: `invalid byte sequence for encoding \"UTF8\": 0x00`";

const typeDefs = parse(`
  input NoteInput { title: String!, tags: [String!] }
  type Query {
    echo(text: String, note: NoteInput, list: [String!]): String
    failing(how: String!): String
    whoami: String
  }
  type Mutation { save(text: String!): String }
`);

describe("every subgraph server", () => {
  let server: RunningServer;
  const received: unknown[] = [];
  const logs: string[] = [];
  before(async () => {
    const schema = buildSubgraphSchema({
      typeDefs,
      resolvers: {
        Query: {
          whoami: (_root: unknown, _args: unknown, context: unknown) => (context as { identity?: { userId: string } }).identity?.userId ?? "anonymous",
          echo: (_root: unknown, args: Record<string, unknown>) => {
            received.push(args);
            return JSON.stringify(args);
          },
          failing: (_root: unknown, { how }: { how: string }) => {
            received.push(how);
            // The two ways a driver's text used to reach clients: thrown as is, or wrapped in a coded error.
            if (how === "driver") throw new Error(PRISMA_MESSAGE);
            if (how === "restarting") throw Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: "P1001" });
            throw badInput(PRISMA_MESSAGE);
          },
        },
        Mutation: {
          save: (_root: unknown, args: Record<string, unknown>) => {
            received.push(args);
            return "saved";
          },
        },
      },
    });
    server = await startSubgraphServer({
      name: "toy",
      schema,
      internalSecret: SECRET,
      logger: createLogger("debug", {}, (line) => logs.push(line)),
      extendContext: (base) => base,
      port: 0,
      host: "127.0.0.1",
    });
  });
  after(() => server?.close());

  async function call(query: string, variables: Record<string, unknown> = {}) {
    received.length = 0;
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "toy", requestId: "test" }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }

  function assertRefusedBeforeResolvers(result: Awaited<ReturnType<typeof call>>) {
    assert.equal(result.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", result.text);
    // 200, so that the gateway relays the code instead of reporting a failed subgraph.
    assert.equal(result.status, 200);
    assert.equal(result.body.data, undefined);
    assert.deepEqual(received, [], "no resolver ran");
  }

  const hostile: [string, string][] = [
    ["a NUL character", "order\u0000id"],
    ["a lone high surrogate", "prod_\uD800"],
    ["a lone low surrogate", "\uDC00prod"],
    ["a reversed surrogate pair", "\uDE00\uD83D"],
  ];

  for (const [what, text] of hostile) {
    it(`refuses ${what} in a variable with BAD_USER_INPUT before any resolver runs`, async () => {
      assertRefusedBeforeResolvers(await call(`query ($t: String) { echo(text: $t) }`, { t: text }));
      assertRefusedBeforeResolvers(await call(`mutation ($t: String!) { save(text: $t) }`, { t: text }));
    });

    it(`refuses ${what} nested in an input object, a list or a key`, async () => {
      assertRefusedBeforeResolvers(await call(`query ($n: NoteInput) { echo(note: $n) }`, { n: { title: "ok", tags: ["fine", text] } }));
      assertRefusedBeforeResolvers(await call(`query ($l: [String!]) { echo(list: $l) }`, { l: ["fine", "fine", text] }));
      assertRefusedBeforeResolvers(await call(`query ($n: NoteInput) { echo(note: $n) }`, { n: { title: "ok", [`x${text}`]: "y" } }));
    });

  }

  it("refuses a NUL character in a string literal of the document with BAD_USER_INPUT before any resolver runs", async () => {
    assertRefusedBeforeResolvers(await call(`{ echo(text: "order\\u0000id") }`));
    assertRefusedBeforeResolvers(await call(`{ echo(note: { title: "ok", tags: ["x\\u0000"] }) }`));
    assertRefusedBeforeResolvers(await call(`query ($t: String = "x\\u0000") { echo(text: $t) }`));
    // A raw NUL is a source character graphql-js accepts inside a block string.
    assertRefusedBeforeResolvers(await call(`{ echo(text: """block${"\u0000"}string""") }`));
  });

  // graphql-js's lexer already rejects these: escaped or raw, a lone surrogate is not a
  // Unicode scalar value, so the document does not parse.
  for (const [what, text] of hostile.slice(1)) {
    it(`refuses ${what} in a string literal of the document as unparsable, before any resolver runs`, async () => {
      for (const literal of [JSON.stringify(text), `"${text}"`]) {
        const result = await call(`{ echo(text: ${literal}) }`);
        assert.equal(result.body.errors?.[0]?.extensions?.code, "GRAPHQL_PARSE_FAILED", result.text);
        assert.deepEqual(received, []);
      }
    });
  }

  it("serves well-formed text, astral characters included, unchanged", async () => {
    const text = "Rocket 🚀, naïve café, 中文, tab\tand newline\n";
    const result = await call(`query ($t: String, $n: NoteInput) { echo(text: $t, note: $n) }`, { t: text, n: { title: text, tags: [text] } });
    assert.equal(result.body.errors, undefined, result.text);
    assert.deepEqual(received, [{ text, note: { title: text, tags: [text] } }]);
  });

  it("answers a driver's error with INTERNAL_SERVER_ERROR and none of its text, and logs it", async () => {
    logs.length = 0;
    const result = await call(`{ failing(how: "driver") }`);
    assert.equal(result.body.errors?.[0]?.extensions?.code, "INTERNAL_SERVER_ERROR");
    for (const leak of ["prisma", "/srv/", "Database error", "invalid byte sequence", "stacktrace"]) assert.ok(!result.text.includes(leak), `leaks ${leak}: ${result.text}`);
    assert.ok(logs.some((line) => line.includes("invalid byte sequence")), "the detail is in the log");
  });

  it("answers a database that is restarting with SERVICE_UNAVAILABLE, so clients retry", async () => {
    const result = await call(`{ failing(how: "restarting") }`);
    assert.equal(result.body.errors?.[0]?.extensions?.code, "SERVICE_UNAVAILABLE", result.text);
    for (const leak of ["127.0.0.1", "database server", "P1001"]) assert.ok(!result.text.includes(leak), `leaks ${leak}: ${result.text}`);
  });

  it("keeps a coded error's code but not a driver's message inside it", async () => {
    const result = await call(`{ failing(how: "coded") }`);
    assert.equal(result.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.equal(result.body.errors?.[0]?.message, "The request could not be completed (BAD_USER_INPUT)");
    for (const leak of ["prisma", "/srv/", "Database error", "invalid byte sequence"]) assert.ok(!result.text.includes(leak), `leaks ${leak}: ${result.text}`);
  });

  it("gives no field suggestions", async () => {
    const result = await call(`{ ecko(text: "x") }`);
    assert.equal(result.body.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal(result.body.errors?.[0]?.message, 'Cannot query field "ecko" on type "Query".');
  });

  async function whoami(header: string) {
    const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", [INTERNAL_HEADER]: header }, body: JSON.stringify({ query: "{ whoami }" }) });
    return { status: response.status, body: (await response.json()) as { data?: { whoami: string }; errors?: { extensions?: { code?: string } }[] } };
  }

  it("serves a request's header again, and refuses it tampered, expired after it was served, or signed for another server", async () => {
    const good = signInternalCredential(SECRET, { aud: "toy", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } });
    for (let call = 0; call < 2; call++) assert.deepEqual((await whoami(good)).body.data, { whoami: "u1" });
    const [version, payload, signature] = good.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ aud: "toy", requestId: "r1", identity: { userId: "admin", roles: ["admin"] }, exp: Date.now() + 60_000 })).toString("base64url");
    const lastSwapped = signature!.slice(0, -1) + (signature!.endsWith("A") ? "B" : "A");
    for (const header of [`${version}.${forgedPayload}.${signature}`, `${version}.${payload}.${lastSwapped}`, `${good}x`, good.slice(1)]) {
      const refused = await whoami(header);
      assert.equal(refused.status, 403, header);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, "FORBIDDEN");
    }
    const expired = signInternalCredential(SECRET, { aud: "toy", requestId: "r2", identity: { userId: "u2", roles: ["customer"] } }, Date.now() - 60_001);
    assert.equal((await whoami(expired)).status, 403);
    // Signed for another subgraph of the same request (a header read on its way there): refused here.
    for (const aud of ["payments", "toy ", "TOY", ""]) {
      const elsewhere = signInternalCredential(SECRET, { aud, requestId: "r3", identity: { userId: "u3", roles: ["customer"] } });
      assert.equal((await whoami(elsewhere)).status, 403, `signed for ${JSON.stringify(aud)}`);
    }
    // A header of the old form, naming no server: refused.
    const unnamed = Buffer.from(JSON.stringify({ requestId: "r4", identity: { userId: "u4", roles: ["customer"] }, exp: Date.now() + 60_000 })).toString("base64url");
    const unnamedMac = createHmac("sha256", SECRET).update(unnamed).digest("base64url");
    assert.equal((await whoami(`v1.${unnamed}.${unnamedMac}`)).status, 403, "a header naming no server");
    assert.deepEqual((await whoami(good)).body.data, { whoami: "u1" }, "the good header is still served");
  });

  it("sends no cache hint from a schema that has none: every answer uncacheable, as before", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "toy", requestId: "test" }) },
      body: JSON.stringify({ query: "{ whoami }" }),
    });
    assert.equal(response.status, 200);
    // Apollo's cache-control plugin is off here (it wrapped every resolver): no "no-store" to send.
    assert.equal(response.headers.get("cache-control"), null);
  });
});

describe("a subgraph server whose schema gives cache hints", () => {
  let server: RunningServer;
  before(async () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse(`
        directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
        enum CacheControlScope { PUBLIC PRIVATE }
        type Query { cached: String @cacheControl(maxAge: 30), fresh: String }
      `),
      resolvers: { Query: { cached: () => "c", fresh: () => "f" } },
    });
    server = await startSubgraphServer({ name: "hinted", schema, internalSecret: SECRET, logger: createLogger("error", {}, () => undefined), extendContext: (base) => base, port: 0, host: "127.0.0.1" });
  });
  after(() => server?.close());

  const cacheControlOf = async (query: string) =>
    (
      await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "hinted", requestId: "test" }) },
        body: JSON.stringify({ query }),
      })
    ).headers.get("cache-control");

  it("still tells the gateway each answer's hint", async () => {
    assert.equal(await cacheControlOf("{ cached }"), "max-age=30, public");
    assert.equal(await cacheControlOf("{ cached fresh }"), "no-store");
  });
});

describe("subgraph servers of one process", () => {
  const startWith = (secret: string, name = "shared") =>
    startSubgraphServer({
      name,
      schema: buildSubgraphSchema({ typeDefs: parse("type Query { whoami: String }"), resolvers: { Query: { whoami: (_root: unknown, _args: unknown, context: unknown) => (context as { identity?: { userId: string } }).identity?.userId ?? "anonymous" } } }),
      internalSecret: secret,
      logger: createLogger("error", {}, () => undefined),
      extendContext: (base) => base,
      port: 0,
      host: "127.0.0.1",
    });
  const whoami = async (server: RunningServer, header: string) => {
    const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", [INTERNAL_HEADER]: header }, body: JSON.stringify({ query: "{ whoami }" }) });
    return { status: response.status, body: (await response.json()) as { data?: { whoami: string } } };
  };

  it("verify a request's header once for all of them, and only for servers of the secret that signed it", async () => {
    const secret = `shared-secret-${randomUUID()}`;
    const other = `other-secret-${randomUUID()}`;
    const servers = [await startWith(secret), await startWith(secret), await startWith(other), await startWith(secret, "elsewhere")];
    try {
      const header = signInternalCredential(secret, { aud: "shared", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } });
      assert.deepEqual((await whoami(servers[0]!, header)).body.data, { whoami: "u1" });
      assert.deepEqual((await whoami(servers[1]!, header)).body.data, { whoami: "u1" });
      // Verified by the first server, found by the second: one header remembered for both.
      assert.equal(sharedInternalCredentialVerifier(secret).size(), 1);
      // Remembered under its own secret only: a server of another secret refuses it.
      assert.equal((await whoami(servers[2]!, header)).status, 403);
      assert.equal(sharedInternalCredentialVerifier(other).size(), 0);
      // Remembered, and valid, but for servers named "shared": another of the process refuses it.
      assert.equal((await whoami(servers[3]!, header)).status, 403);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
