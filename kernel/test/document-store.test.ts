// Apollo Server's store of parsed operations weighed a document by its JSON, which leaves out the
// text the document keeps (`loc.source.body`): a 95 KB text weighed 474 bytes, so about 66,000
// unique texts (6 GB) fitted its 30 MiB, and the gateway grew 413 MB on 2,400 of them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createDocumentStore, createLogger, INTERNAL_HEADER, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";
import { heapAfterGc } from "../../test/support/heap-after-gc.js";


const commented = (i: number, characters: number) => `{ __typename } # ${i} ${"x".repeat(characters)}`;

describe("the parsed-document store", () => {
  it("weighs a document by the text it holds, and forgets the least recently used past its characters", async () => {
    const store = createDocumentStore(250_000);
    for (let i = 0; i < 5; i++) await store.set(`q${i}`, parse(commented(i, 95_000)));
    const { documents, characters } = store.held();
    assert.equal(documents, 2, "two texts of 95,000 characters fit 250,000, three do not");
    assert.ok(characters > 190_000 && characters <= 250_000, `${characters} characters held`);
    assert.equal(await store.get("q0"), undefined);
    assert.ok(await store.get("q3"));
    await store.set("q5", parse(commented(5, 95_000)));
    assert.ok(await store.get("q3"), "read last, kept");
    assert.equal(await store.get("q4"), undefined, "least recently used, forgotten");
    await store.set("huge", parse(commented(6, 300_000)));
    assert.equal(await store.get("huge"), undefined, "a document weighing more than the store is not kept");
  });

  describe("at a subgraph server", () => {
    const SECRET = "document-store-test-secret-0123456789";
    let server: RunningServer;
    before(async () => {
      const schema = buildSubgraphSchema({ typeDefs: parse("type Query { hello: String }"), resolvers: { Query: { hello: () => "hi" } } });
      server = await startSubgraphServer({ name: "toy", schema, internalSecret: SECRET, logger: createLogger("silent"), extendContext: (base) => base, port: 0, host: "127.0.0.1" });
    });
    after(() => server?.close());

    it("holds no more than its characters of the unique texts it is sent", async () => {
      const send = async (query: string) => {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "toy", requestId: "test" }) },
          body: JSON.stringify({ query }),
        });
        assert.equal(response.status, 200, await response.text());
      };
      await send("{ hello }");
      const before = heapAfterGc();
      // 300 texts of 95 KB: 28.5 MB, over three times the store's 8,000,000 characters.
      for (let i = 0; i < 300; i++) await send(commented(i, 95_000));
      const grown = heapAfterGc() - before;
      assert.ok(grown < 18_000_000, `the heap grew ${(grown / 1e6).toFixed(1)} MB`);
    });
  });
});
