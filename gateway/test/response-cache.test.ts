import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ANY_PRODUCT, createResponseCache, LISTINGS } from "../src/performance/response-cache.js";

function cacheAt(start = 1_000_000, settleMs = 100) {
  let now = start;
  const cache = createResponseCache<string>({ maxEntries: 3, maxBytes: 1_000, ttlMs: 10_000, settleMs, clock: () => now });
  return { cache, advance: (ms: number) => (now += ms) };
}

describe("response cache", () => {
  it("serves what it stored until the TTL passes", () => {
    const { cache, advance } = cacheAt();
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket(), 1), true);
    assert.equal(cache.get("k"), "v");
    advance(10_001);
    assert.equal(cache.get("k"), undefined);
  });

  it("drops exactly the entries carrying an invalidated tag", () => {
    const { cache, advance } = cacheAt();
    cache.store("a", "A", ["product:a"], cache.ticket(), 1);
    cache.store("b", "B", ["product:b", LISTINGS], cache.ticket(), 1);
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
    assert.equal(cache.store("k", "version 1", ["product:a"], ticket, 1), false);
    assert.equal(cache.get("k"), undefined);
    // A request that started after the invalidation may store.
    assert.equal(cache.store("k", "version 2", ["product:a"], cache.ticket(), 1), true);
  });

  it("refuses stores touching a changed product for the settle window, then accepts them", () => {
    const { cache, advance } = cacheAt(1_000_000, 100);
    cache.invalidate(["product:a"]);
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket(), 1), false, "inside the settle window");
    assert.equal(cache.store("other", "v", ["product:b"], cache.ticket(), 1), true, "other products are not held back");
    advance(101);
    assert.equal(cache.store("k", "v", ["product:a"], cache.ticket(), 1), true);
  });

  it("evicts the least recently used entry beyond its size", () => {
    const { cache } = cacheAt();
    for (const key of ["a", "b", "c"]) cache.store(key, key, [], cache.ticket(), 1);
    cache.get("a"); // a is now the most recently used
    cache.store("d", "d", [], cache.ticket(), 1);
    assert.equal(cache.get("b"), undefined);
    assert.deepEqual(["a", "c", "d"].map((k) => cache.get(k)), ["a", "c", "d"]);
    assert.equal(cache.stats.evictions, 1);
  });

  it("holds at most its bytes: the least recently used go first, and an answer over an eighth of them is not stored", () => {
    const { cache } = cacheAt(); // 1,000 bytes, 3 entries
    assert.equal(cache.store("big", "x", [], cache.ticket(), 126), false, "over 1,000 / 8");
    assert.equal(cache.store("a", "a", [], cache.ticket(), 124), true, "124 and its key of 1");
    assert.equal(cache.store("b", "b", [], cache.ticket(), 124), true);
    const small = createResponseCache<string>({ maxEntries: 100, maxBytes: 1_000, ttlMs: 10_000, settleMs: 0 });
    for (let n = 0; n < 20; n++) small.store(`k${n}`, "v", [], small.ticket(), 120);
    assert.ok(small.bytes <= 1_000, `${small.bytes} bytes held`);
    assert.equal(small.size, 8);
    assert.equal(small.get("k19"), "v");
    assert.equal(small.get("k11"), undefined);
    small.store("k19", "w", [], small.ticket(), 60);
    assert.equal(small.bytes, 7 * (120 + 3) + (60 + 3), "a replaced answer gives its bytes back");
  });

  it("counts its keys in its bytes: small answers keyed by what a client wrote cannot hold more", () => {
    // A public answer of 30 bytes keyed by a 90 KB operation name or variable value: 10,000 of
    // them held 900 MB under the count alone.
    const small = createResponseCache<string>({ maxEntries: 10_000, maxBytes: 1_000_000, ttlMs: 10_000, settleMs: 0 });
    for (let n = 0; n < 1_000; n++) small.store(`q:${n}:${"x".repeat(90_000)}`, '{"data":{"product":null}}', [], small.ticket(), 25);
    assert.ok(small.bytes <= 1_000_000, `${small.bytes} bytes held`);
    assert.equal(small.size, 11);
    assert.equal(small.store(`q:${"x".repeat(200_000)}`, "v", [], small.ticket(), 1), false, "a key over an eighth of the bytes is not stored");
  });

  it("drops expired answers when it next stores, not only when they are asked for again", () => {
    const { cache, advance } = cacheAt();
    cache.store("a", "a", [], cache.ticket(), 100);
    cache.store("b", "b", [], cache.ticket(), 100);
    advance(10_001);
    cache.store("c", "c", [], cache.ticket(), 100);
    assert.equal(cache.size, 1);
    assert.equal(cache.bytes, 101);
    assert.equal(cache.stats.evictions, 0, "expiry is not an eviction");
  });
});
