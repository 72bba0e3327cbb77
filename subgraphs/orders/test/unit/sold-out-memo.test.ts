import assert from "node:assert/strict";
import { it } from "node:test";
import { createSoldOutMemo } from "../../src/domain/sold-out-memo.js";

it("remembers a sold-out variant for its moment only, and a second refusal renews it", () => {
  let now = 0;
  const memo = createSoldOutMemo({ ttlMs: 100, clock: () => now });
  assert.equal(memo.soldOutAmong(["a"]), undefined);
  memo.remember("a");
  assert.equal(memo.soldOutAmong(["x", "a"]), "a");
  now = 99;
  memo.remember("a");
  now = 150;
  assert.equal(memo.soldOutAmong(["a"]), "a", "renewed at 99");
  now = 199;
  assert.equal(memo.soldOutAmong(["a"]), undefined, "expired at 199");
});

it("stays bounded: past its size the oldest variant is forgotten, never one just refused", () => {
  const memo = createSoldOutMemo({ ttlMs: 10_000, maxVariants: 3, clock: () => 0 });
  for (const id of ["a", "b", "c", "d"]) memo.remember(id);
  assert.equal(memo.soldOutAmong(["a"]), undefined);
  assert.deepEqual(["b", "c", "d"].map((id) => memo.soldOutAmong([id])), ["b", "c", "d"]);
});

it("remembers nothing when its moment is zero", () => {
  const memo = createSoldOutMemo({ ttlMs: 0 });
  memo.remember("a");
  assert.equal(memo.soldOutAmong(["a"]), undefined);
});
