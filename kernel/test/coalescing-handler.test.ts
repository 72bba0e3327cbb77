import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coalescingHandler } from "../src/events/coalescing-handler.js";

describe("coalescingHandler", () => {
  it("hands the calls made together to one batch and settles each call with it", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handle = coalescingHandler<number>(async (items) => {
      batches.push(items);
      await gate;
    });
    const settled: number[] = [];
    const calls = [1, 2, 3].map((n) => handle(n).then(() => settled.push(n)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [[1, 2, 3]]);
    assert.deepEqual(settled, [], "no call settles before its batch is applied");
    release();
    await Promise.all(calls);
    assert.deepEqual(settled.sort(), [1, 2, 3]);
    await handle(4);
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  it("rejects every call of a failed batch, and applies later calls afresh", async () => {
    let fail = true;
    const applied: string[][] = [];
    const handle = coalescingHandler<string>(async (items) => {
      if (fail) throw new Error("listing store down");
      applied.push(items);
    });
    const results = await Promise.allSettled([handle("a"), handle("b")]);
    assert.deepEqual(results.map((result) => result.status), ["rejected", "rejected"]);
    assert.match(String((results[0] as PromiseRejectedResult).reason), /listing store down/);
    fail = false;
    await Promise.all([handle("a"), handle("b")]);
    assert.deepEqual(applied, [["a", "b"]]);
  });

  it("never lets a batch grow past maxBatch", async () => {
    const sizes: number[] = [];
    const handle = coalescingHandler<number>(async (items) => void sizes.push(items.length), { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, n) => handle(n)));
    assert.deepEqual(sizes, [4, 4, 2]);
  });
});
