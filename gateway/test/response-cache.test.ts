import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ANY_PRODUCT, createResponseCache, LISTINGS } from "../src/performance/response-cache.js";

function cacheAt(start = 1_000_000, settleMs = 100) {
  let now = start;
  const cache = createResponseCache<string>({ maxEntries: 3, ttlMs: 10_000, settleMs, clock: () => now });
  return { cache, advance: (ms: number) => (now += ms) };
}

describe("response cache", () => {
  it("serves what it stored until the TTL passes", () => {
    const { cache, advance } = cacheAt();
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket()), true);
    assert.equal(cache.get("k"), "v");
    advance(10_001);
    assert.equal(cache.get("k"), undefined);
  });

  it("drops exactly the entries carrying an invalidated tag", () => {
    const { cache, advance } = cacheAt();
    cache.store("a", "A", ["product:a"], cache.ticket());
    cache.store("b", "B", ["product:b", LISTINGS], cache.ticket());
    cache.invalidate(["product:a", ANY_PRODUCT]);
    assert.equal(cache.get("a"), undefined);
    assert.equal(cache.get("b"), "B");
    advance(1);
    cache.invalidate([LISTINGS]);
    assert.equal(cache.get("b"), undefined);
  });

  it("refuses a store read before an invalidation of its tags (the stale fill race)", () => {
    const { cache, advance } = cacheAt();
    const ticket = cache.ticket(); // the request starts reading version 1
    advance(500);
    cache.invalidate(["product:a"]); // version 2 is announced meanwhile
    advance(500); // well past the settle window
    assert.equal(cache.store("k", "version 1", ["product:a"], ticket), false);
    assert.equal(cache.get("k"), undefined);
    // A request that started after the invalidation may store.
    assert.equal(cache.store("k", "version 2", ["product:a"], cache.ticket()), true);
  });

  it("refuses stores touching a changed product for the settle window, then accepts them", () => {
    const { cache, advance } = cacheAt(1_000_000, 100);
    cache.invalidate(["product:a"]);
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket()), false, "inside the settle window");
    assert.equal(cache.store("other", "v", ["product:b"], cache.ticket()), true, "other products are not held back");
    advance(101);
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket()), true);
  });

  it("evicts the least recently used entry beyond its size", () => {
    const { cache } = cacheAt();
    for (const key of ["a", "b", "c"]) cache.store(key, key, [], cache.ticket());
    cache.get("a"); // a is now the most recently used
    cache.store("d", "d", [], cache.ticket());
    assert.equal(cache.get("b"), undefined);
    assert.deepEqual(["a", "c", "d"].map((k) => cache.get(k)), ["a", "c", "d"]);
    assert.equal(cache.stats.evictions, 1);
  });
});
