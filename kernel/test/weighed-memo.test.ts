import assert from "node:assert/strict";
import { test } from "node:test";
import { WeighedMemo } from "../src/cache/weighed-memo.js";

const keys = (memo: WeighedMemo<string, number>, candidates: string[]) => candidates.filter((key) => memo.has(key));

test("past its weight the oldest inserted go first, however often they were read", () => {
  const memo = new WeighedMemo<string, number>({ weight: 10 });
  memo.set("a", 1, 4);
  memo.set("b", 2, 4);
  assert.equal(memo.get("a"), 1);
  memo.set("c", 3, 4);
  assert.deepEqual(keys(memo, ["a", "b", "c"]), ["b", "c"]);
  assert.equal(memo.weight, 8);
});

test("with refreshOnRead the least recently read go first", () => {
  const memo = new WeighedMemo<string, number>({ weight: 10, refreshOnRead: true });
  memo.set("a", 1, 4);
  memo.set("b", 2, 4);
  memo.get("a");
  memo.set("c", 3, 4);
  assert.deepEqual(keys(memo, ["a", "b", "c"]), ["a", "c"]);
});

test("past its count the oldest go first, light as they are", () => {
  const memo = new WeighedMemo<string, number>({ weight: 1_000, entries: 2 });
  for (const key of ["a", "b", "c"]) memo.set(key, 0, 1);
  assert.deepEqual(keys(memo, ["a", "b", "c"]), ["b", "c"]);
  assert.equal(memo.size, 2);
  assert.equal(memo.weight, 2);
});

test("an entry heavier than the whole bound is not kept and takes nothing with it", () => {
  const memo = new WeighedMemo<string, number>({ weight: 10 });
  memo.set("a", 1, 5);
  assert.equal(memo.set("huge", 2, 11), false);
  assert.deepEqual(keys(memo, ["a", "huge"]), ["a"]);
  assert.equal(memo.weight, 5);
});

test("a key set again is weighed once, by its new weight", () => {
  const memo = new WeighedMemo<string, number>({ weight: 10 });
  memo.set("a", 1, 6);
  memo.set("a", 2, 3);
  assert.equal(memo.get("a"), 2);
  assert.equal(memo.weight, 3);
  assert.equal(memo.delete("a"), true);
  assert.equal(memo.delete("a"), false);
  assert.equal(memo.weight, 0);
  memo.set("b", 1, 3);
  memo.clear();
  assert.equal(memo.size, 0);
  assert.equal(memo.weight, 0);
});
