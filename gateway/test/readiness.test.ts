import { it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { cachedReadiness } from "../src/http/readiness.js";

it("fans out to the subgraphs at most once per interval, however often readiness is asked", async () => {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    setTimeout(() => res.end("ok"), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  let now = 0;
  const readiness = cachedReadiness({ a: `http://127.0.0.1:${port}/graphql`, b: `http://127.0.0.1:${port}/graphql` }, 2_000, () => now);
  try {
    const answers = await Promise.all(Array.from({ length: 100 }, () => readiness()));
    assert.ok(answers.every((a) => a.ready));
    assert.equal(hits, 2, "one check per subgraph for 100 concurrent probes");
    now += 1_000;
    await readiness();
    assert.equal(hits, 2, "reused within the interval");
    now += 1_500;
    await readiness();
    assert.equal(hits, 4, "checked again once the answer is older than the interval");
  } finally {
    server.close();
  }
});
