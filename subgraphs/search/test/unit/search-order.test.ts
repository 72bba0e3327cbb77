import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EmbeddedKeyValueStore } from "#kernel";
import { REORDER_POLICY, reorderDue, startSearchOrderKeeper } from "../../src/domain/search-order.js";
import type { SearchIndex, StorageOrder } from "../../src/ports/search-index.js";

describe("when the search index is rebuilt to be stored newest first again", () => {
  const settled = (order: StorageOrder): StorageOrder => ({ ...order });

  it("waits for appended products past both the floor and the share of those written in order", () => {
    const now = { documents: 1_000_000 + 150_000, writtenInOrder: 1_000_000 };
    assert.equal(reorderDue(settled(now), now), false, "15% appended: not yet");
    const more = { documents: 1_000_000 + 250_000, writtenInOrder: 1_000_000 };
    assert.equal(reorderDue(settled(more), more), true, "25% appended");
    const small = { documents: 600 + 9_000, writtenInOrder: 600 };
    assert.equal(reorderDue(settled(small), small), false, "under the floor, whatever the share");
    const filledLive = { documents: 2_000_000, writtenInOrder: 0 };
    assert.equal(reorderDue(settled(filledLive), filledLive), true, "an index filled by live changes alone");
  });

  it("does not rebuild while a load is still growing the index, nor on its first look", () => {
    const now = { documents: 2_000_000, writtenInOrder: 0 };
    assert.equal(reorderDue(undefined, now), false, "no earlier check to compare with");
    assert.equal(reorderDue({ documents: 1_900_000, writtenInOrder: 0 }, now), false, "grew 5% since the last check");
    assert.equal(reorderDue({ documents: 2_000_000 - 20_000, writtenInOrder: 0 }, now), true, "grew 1%: settled");
    assert.equal(REORDER_POLICY.settledShare, 0.01);
  });

  it("one rebuild across replicas checking at once, made under the claim, and none while the order is fine", async () => {
    const kv = new EmbeddedKeyValueStore();
    let order: StorageOrder = { documents: 50_000, writtenInOrder: 0 };
    const index = { storageOrder: async () => order } as unknown as SearchIndex;
    let rebuilds = 0;
    let finish!: () => void;
    let started!: () => void;
    const rebuildStarted = new Promise<void>((resolve) => (started = resolve));
    const rebuild = async (options: { dropAbandonedBuilds: boolean }) => {
      // The keeper holds the claim while it rebuilds, so what a dead rebuild left may go.
      assert.equal(options.dropAbandonedBuilds, true);
      rebuilds++;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      started();
      await finished;
      order = { documents: order.documents, writtenInOrder: order.documents };
      return true;
    };
    const replicas = [1, 2, 3].map(() => startSearchOrderKeeper({ index, kv, indexName: "products", intervalMs: 3_600_000, rebuild }));
    try {
      assert.deepEqual(await Promise.all(replicas.map((replica) => replica.check())), [false, false, false], "a first look only");
      const checks = replicas.map((replica) => replica.check());
      await rebuildStarted;
      finish();
      assert.deepEqual((await Promise.all(checks)).sort(), [false, false, true]);
      assert.equal(rebuilds, 1, "one replica claims the rebuild");
      assert.deepEqual(await Promise.all(replicas.map((replica) => replica.check())), [false, false, false], "in order now");
      assert.equal(rebuilds, 1);
    } finally {
      for (const replica of replicas) replica.stop();
      await kv.close();
    }
  });
});
