import { test } from "node:test";
import assert from "node:assert/strict";
import { NewestFirstSpool } from "../../bench/scale/newest-first-spool.js";

test("batches appended oldest first come back newest first, each batch reversed, across uneven sizes", async () => {
  const spool = await NewestFirstSpool.create<{ id: number; name: string }>();
  try {
    const items = Array.from({ length: 2_503 }, (_, id) => ({ id, name: `product ${id} "quoted"\nline` }));
    for (let start = 0; start < items.length; start += 1_000) await spool.append(items.slice(start, start + 1_000));
    await spool.append([]);
    const sizes: number[] = [];
    const read: { id: number; name: string }[] = [];
    for await (const batch of spool.newestFirst()) {
      sizes.push(batch.length);
      read.push(...batch);
    }
    assert.deepEqual(sizes, [503, 1_000, 1_000]);
    assert.deepEqual(read, [...items].reverse());
  } finally {
    await spool.close();
  }
});
