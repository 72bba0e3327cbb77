import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SearchEngineIndex, type EngineRequest, type EngineTransport } from "../../src/adapters/search-engine-index.js";

const answered = (brand: string) => ({
  status: 200,
  body: { hits: { total: { value: 1 }, hits: [] }, aggregations: { brands: { buckets: [{ key: brand, doc_count: 1 }] }, categories: { buckets: [] } } },
});

/** A transport whose aggregations the test answers one at a time. */
function heldTransport() {
  const pending: { resolve: (answer: ReturnType<typeof answered>) => void; reject: (error: Error) => void }[] = [];
  const transport: EngineTransport = (request: EngineRequest) => {
    assert.ok(request.path.endsWith("/_search"), request.path);
    return new Promise((resolve, reject) => pending.push({ resolve: resolve as never, reject }));
  };
  return { transport, pending };
}

const settledSoon = <T>(promise: Promise<T>) => Promise.race([promise, new Promise<"waiting">((resolve) => setImmediate(() => setImmediate(() => resolve("waiting"))))]);

describe("autocomplete's brands and categories: a whole-index aggregation no keystroke waits for twice", () => {
  it("answers from the last values while the next read runs, and keeps them when it fails", async () => {
    const { transport, pending } = heldTransport();
    // Every read is out of date at once: each keystroke asks for a new one.
    const index = new SearchEngineIndex("fake", transport, { alias: "products", facetValuesTtlMs: -1 });
    const first = index.facetValues();
    assert.equal(pending.length, 1);
    pending[0]!.resolve(answered("Acme"));
    assert.deepEqual((await first).brands.map((b) => b.value), ["Acme"]);

    // The next read is under way and not answered: the keystroke is answered from the last one.
    const during = await settledSoon(index.facetValues());
    assert.equal(pending.length, 2, "a new read was started");
    assert.notEqual(during, "waiting", "the keystroke waited for a whole-index aggregation");
    assert.deepEqual((during as Awaited<ReturnType<typeof index.facetValues>>).brands.map((b) => b.value), ["Acme"]);

    // That read fails (the engine's time limit, say): the last values still answer, and the
    // next keystrokes start no new aggregation until the retry delay has passed.
    pending[1]!.reject(new Error("timed out"));
    await new Promise((resolve) => setImmediate(resolve));
    for (let keystroke = 0; keystroke < 5; keystroke++) assert.deepEqual((await index.facetValues()).brands.map((b) => b.value), ["Acme"]);
    assert.equal(pending.length, 2, "failed reads were retried at every keystroke");
  });

  it("a first read that fails is answered as failed, and tried again only after the retry delay", async () => {
    const { transport, pending } = heldTransport();
    const index = new SearchEngineIndex("fake", transport, { alias: "products", facetValuesTtlMs: 30_000 });
    const first = index.facetValues();
    pending[0]!.reject(new Error("timed out"));
    await assert.rejects(first, /timed out/);
    await assert.rejects(index.facetValues(), /timed out/);
    assert.equal(pending.length, 1);
  });
});
