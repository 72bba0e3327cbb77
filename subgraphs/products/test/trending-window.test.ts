import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LONGEST_WINDOW_MS, incrementsOfView, rankingKeys, viewCategory } from "../src/trending/trending-window.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const now = Date.UTC(2026, 0, 5, 10, 30, 15);

describe("trending windows", () => {
  it("counts a view in the hour's minute bucket and the day's hour bucket, for the shop and its category", () => {
    const increments = incrementsOfView(now, "audio", now);
    assert.deepEqual(
      increments.map((each) => each.key),
      [`trending:m:all:${Math.floor(now / MINUTE)}`, `trending:m:c:audio:${Math.floor(now / MINUTE)}`, `trending:h:all:${Math.floor(now / HOUR)}`, `trending:h:c:audio:${Math.floor(now / HOUR)}`],
    );
    // Every key a ranking reads now includes the view's buckets.
    for (const key of increments.map((each) => each.key)) {
      assert.ok([...rankingKeys("LAST_HOUR", undefined, now), ...rankingKeys("LAST_HOUR", ["audio"], now), ...rankingKeys("LAST_DAY", undefined, now), ...rankingKeys("LAST_DAY", ["audio"], now)].includes(key), key);
    }
  });

  it("keeps each bucket set until one bucket after the last ranking that reads it", () => {
    const [minute, , hour] = incrementsOfView(now, "audio", now);
    const minuteBucketEnd = (Math.floor(now / MINUTE) + 1) * MINUTE;
    const hourBucketEnd = (Math.floor(now / HOUR) + 1) * HOUR;
    assert.equal(now + minute!.ttlMs, minuteBucketEnd + 60 * MINUTE);
    assert.equal(now + hour!.ttlMs, hourBucketEnd + 24 * HOUR);
    // The last ranking reading the minute bucket is the one 59 minutes after its end.
    const lastReader = minuteBucketEnd + 59 * MINUTE - 1;
    assert.ok(rankingKeys("LAST_HOUR", undefined, lastReader).includes(minute!.key));
    assert.ok(!rankingKeys("LAST_HOUR", undefined, lastReader + 1).includes(minute!.key));
  });

  it("counts an old view only in the windows still covering it, and none older than a day", () => {
    assert.deepEqual(
      incrementsOfView(now - 2 * HOUR, undefined, now).map((each) => each.key),
      [`trending:h:all:${Math.floor((now - 2 * HOUR) / HOUR)}`],
    );
    assert.deepEqual(incrementsOfView(now - LONGEST_WINDOW_MS, "audio", now), []);
  });

  it("counts a view stamped in the future as a view now", () => {
    assert.deepEqual(incrementsOfView(now + 10 * HOUR, "audio", now), incrementsOfView(now, "audio", now));
  });

  it("reads 60 minute buckets for the hour and 24 hour buckets for the day, per category asked", () => {
    assert.equal(rankingKeys("LAST_HOUR", undefined, now).length, 60);
    assert.equal(rankingKeys("LAST_DAY", undefined, now).length, 24);
    assert.equal(rankingKeys("LAST_HOUR", ["audio", "books"], now).length, 120);
  });

  it("takes a category that is a slug in any case, and no other", () => {
    assert.equal(viewCategory(" Audio "), "audio");
    assert.equal(viewCategory("home-kitchen"), "home-kitchen");
    assert.equal(viewCategory("a:b"), undefined);
    assert.equal(viewCategory(""), undefined);
    assert.equal(viewCategory("x".repeat(65)), undefined);
  });
});
