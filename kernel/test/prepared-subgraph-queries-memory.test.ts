// Adversarial: a subgraph keeps each query text it prepares with its parse, and the gateway's
// fetches are texts a caller shapes (a literal written whole, a selection as dense as its token
// limit allows). What is kept is bounded by what the parses hold, as the parsed-document store
// weighs them: by a count of texts alone, or their characters, 150 texts of 900 aliased fields
// (10 KB each, 700 KB parsed with locations) held 106 MB.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createLogger, INTERNAL_HEADER, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";
import { heapAfterGc, MB } from "../../test/support/heap-after-gc.js";

const SECRET = "prepared-subgraph-memory-secret-0123456789";

/** 900 aliases of one field: valid, and parsed into about 700 KB with its locations. */
const dense = (n: number) => `{ ${Array.from({ length: 900 }, (_, i) => `a${i}: hello`).join(" ")} } # ${n}`;

describe("texts a subgraph keeps prepared", () => {
  let server: RunningServer;
  before(async () => {
    const schema = buildSubgraphSchema({ typeDefs: parse("type Query { hello: String }"), resolvers: { Query: { hello: () => "hi" } } });
    server = await startSubgraphServer({ name: "dense", schema, internalSecret: SECRET, logger: createLogger("silent"), extendContext: (base) => base, port: 0, host: "127.0.0.1" });
  });
  after(() => server?.close());

  /** As the gateway sends a fetch: no Accept header, so the prepared path answers it. */
  const send = (query: string) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ query });
      const sent = request(server.url, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "dense", requestId: "dense" }) } }, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => (response.statusCode === 200 && text.includes('"a899":"hi"') ? resolve() : reject(new Error(`${response.statusCode} ${text.slice(0, 200)}`))));
      });
      sent.on("error", reject);
      sent.end(body);
    });

  it("holds no more for 150 dense texts than the parsed-document store would", async () => {
    await send(dense(0));
    const before = heapAfterGc();
    for (let n = 1; n <= 150; n++) await send(dense(n));
    const grown = heapAfterGc() - before;
    // Kept by count, or by characters, the 150 held 106 MB.
    assert.ok(grown < 40 * MB, `150 dense texts grew the heap by ${(grown / MB).toFixed(1)} MB`);
  });
});
