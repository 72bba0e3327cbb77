import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { StockCache } from "../src/ports/stock-cache.js";
import { replaceMirror } from "./support/replace-mirror.js";

/**
 * The guarantees of the `StockCache` port, checked against one adapter. `create` gets a
 * fresh namespace, so runs never see each other's counters.
 */
export function defineStockCacheContract(engine: string, create: (namespace: string, options?: { rebuildLeaseMs?: number }) => Promise<StockCache>): void {
  describe(engineSuiteTitle("StockCache contract", engine), { timeout: 60_000 }, () => {
    let cache: StockCache;
    // One mirror per test would need one namespace per test; epochs isolate tests instead.
    const fresh = async (levels: Record<string, number>) => {
      const epoch = randomUUID();
      await replaceMirror(cache, epoch, Object.entries(levels).map(([variantId, available]) => ({ variantId, available })));
      return epoch;
    };
    const counters = async (...ids: string[]) => (await cache.read(ids)).available;
    const token = () => randomUUID();

    before(async () => {
      cache = await create(`contract-${randomUUID().slice(0, 8)}:`);
    });
    after(async () => {
      await cache?.close();
    });

    it("reads the marker and the counters, with null for products it has no counter for", async () => {
      const epoch = await fresh({ a: 5, b: 0 });
      assert.deepEqual(await cache.read(["b", "missing", "a"]), { epoch, rebuilding: null, available: [0, null, 5] });
      assert.deepEqual(await cache.read([]), { epoch, rebuilding: null, available: [] });
    });

    it("replaces every counter, dropping those of products no longer given, and then sets the marker", async () => {
      await fresh({ a: 5, gone: 7 });
      const epoch = await fresh({ a: 2, c: 9 });
      assert.deepEqual(await cache.read(["a", "gone", "c"]), { epoch, rebuilding: null, available: [2, null, 9] });
    });

    it("reserves several items at once when each has enough", async () => {
      const epoch = await fresh({ a: 5, b: 3 });
      assert.deepEqual(await cache.reserve(epoch, "r-1", [{ variantId: "a", quantity: 2 }, { variantId: "b", quantity: 3 }], token()), { kind: "reserved" });
      assert.deepEqual(await counters("a", "b"), [3, 0]);
    });

    it("changes nothing when one item is short, and says which and how many are left", async () => {
      const epoch = await fresh({ a: 5, b: 1 });
      assert.deepEqual(await cache.reserve(epoch, `r-${randomUUID()}`, [{ variantId: "a", quantity: 2 }, { variantId: "b", quantity: 2 }], token()), { kind: "short", variantId: "b", available: 1, admittedBefore: false });
      assert.deepEqual(await counters("a", "b"), [5, 1]);
    });

    it("remembers which reservation ids it admitted: a short answer to a repeat says so, to any other id not", async () => {
      const epoch = await fresh({ a: 3 });
      const first = `tab-${randomUUID()}`;
      assert.deepEqual(await cache.reserve(epoch, first, [{ variantId: "a", quantity: 2 }], token()), { kind: "reserved" });
      assert.deepEqual(await cache.reserve(epoch, first, [{ variantId: "a", quantity: 2 }], token()), { kind: "short", variantId: "a", available: 1, admittedBefore: true });
      assert.deepEqual(await cache.reserve(epoch, `other-${randomUUID()}`, [{ variantId: "a", quantity: 2 }], token()), { kind: "short", variantId: "a", available: 1, admittedBefore: false });
      // Refused or stale calls remember nothing.
      const refused = `refused-${randomUUID()}`;
      await cache.reserve(epoch, refused, [{ variantId: "a", quantity: 5 }], token());
      await cache.reserve(randomUUID(), refused, [{ variantId: "a", quantity: 1 }], token());
      assert.deepEqual(await cache.reserve(epoch, refused, [{ variantId: "a", quantity: 5 }], token()), { kind: "short", variantId: "a", available: 1, admittedBefore: false });
    });

    it("changes nothing when an item has no counter", async () => {
      const epoch = await fresh({ a: 5 });
      assert.deepEqual(await cache.reserve(epoch, "r-1", [{ variantId: "a", quantity: 1 }, { variantId: "nope", quantity: 1 }], token()), { kind: "missing", variantId: "nope" });
      assert.deepEqual(await counters("a", "nope"), [5, null]);
    });

    it("refuses every fenced call made with another epoch, and reports the current marker", async () => {
      const old = await fresh({ a: 5 });
      const epoch = await fresh({ a: 5 });
      assert.deepEqual(await cache.reserve(old, "r-1", [{ variantId: "a", quantity: 1 }], token()), { kind: "stale", epoch });
      assert.equal(await cache.adjust(old, [{ variantId: "a", delta: -3 }]), false);
      assert.equal(await cache.load(old, [{ variantId: "a", available: 100 }]), false);
      assert.deepEqual(await counters("a"), [5]);
    });

    it("lets exactly 50 of 300 concurrent single-unit reservations through a counter of 50, never below zero", async () => {
      const epoch = await fresh({ hot: 50 });
      const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => cache.reserve(epoch, `r-${i}`, [{ variantId: "hot", quantity: 1 }], token())));
      assert.equal(outcomes.filter((o) => o.kind === "reserved").length, 50);
      assert.ok(outcomes.every((o) => o.kind === "reserved" || (o.kind === "short" && o.available === 0)));
      assert.deepEqual(await counters("hot"), [0]);
    });

    it("keeps multi-item reservations all-or-nothing under concurrency", async () => {
      const epoch = await fresh({ a: 100, b: 10 });
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => cache.reserve(epoch, `r-${i}`, [{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 1 }], token())));
      const reserved = outcomes.filter((o) => o.kind === "reserved").length;
      assert.equal(reserved, 10);
      assert.deepEqual(await counters("a", "b"), [90, 0]);
    });

    it("records an admission until it is settled, and calls it unsettled once old enough by the engine's clock", async () => {
      const epoch = await fresh({ a: 5 });
      const admitted = token();
      assert.deepEqual(await cache.reserve(epoch, `r-${randomUUID()}`, [{ variantId: "a", quantity: 2 }], admitted), { kind: "reserved" });
      // Calls that took nothing record nothing: short, missing, stale.
      await cache.reserve(epoch, `r-${randomUUID()}`, [{ variantId: "a", quantity: 9 }], token());
      await cache.reserve(epoch, `r-${randomUUID()}`, [{ variantId: "nope", quantity: 1 }], token());
      await cache.reserve(randomUUID(), `r-${randomUUID()}`, [{ variantId: "a", quantity: 1 }], token());
      assert.equal(await cache.unsettledAdmissions(60_000), 0, "younger than asked");
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(await cache.unsettledAdmissions(100), 1);
      await cache.settleAdmission(epoch, admitted);
      assert.equal(await cache.unsettledAdmissions(0), 0);
      // Settling again, or a token never admitted, changes nothing.
      await cache.settleAdmission(epoch, admitted);
      await cache.settleAdmission(epoch, token());
      assert.deepEqual(await counters("a"), [3], "settling never touches the counters");
    });

    it("records a give-back at the marker's epoch, or the rebuild's under way, until it is settled, touching no counter", async () => {
      const older = await fresh({ a: 5 });
      // Another process rebuilt since this one last looked: the record goes to the current epoch.
      const epoch = await fresh({ a: 5 });
      const expected = token();
      assert.equal(await cache.expectGiveBack(expected), epoch);
      assert.notEqual(epoch, older);
      assert.equal(await cache.unsettledAdmissions(60_000), 0, "younger than asked");
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(await cache.unsettledAdmissions(100), 1);
      await cache.settleAdmission(epoch, expected);
      assert.equal(await cache.unsettledAdmissions(0), 0);
      assert.deepEqual(await counters("a"), [5], "recording and settling never touch the counters");
      const rebuilding = randomUUID();
      await cache.beginRebuild(rebuilding);
      const during = token();
      assert.equal(await cache.expectGiveBack(during), rebuilding, "no marker: the rebuild's epoch, whose counters the change will reach");
      await replaceMirror(cache, rebuilding, [{ variantId: "a", available: 5 }]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(await cache.unsettledAdmissions(100), 1, "still unsettled once the rebuild is done");
      await cache.settleAdmission(rebuilding, during);
      assert.equal(await cache.unsettledAdmissions(0), 0);
    });

    it("drops the unsettled admissions of an epoch a rebuild replaced, and counts none while one runs", async () => {
      const old = await fresh({ a: 5 });
      assert.deepEqual(await cache.reserve(old, `r-${randomUUID()}`, [{ variantId: "a", quantity: 1 }], token()), { kind: "reserved" });
      const rebuilding = randomUUID();
      await cache.beginRebuild(rebuilding);
      assert.equal(await cache.unsettledAdmissions(0), 0, "no marker: the rebuild's snapshot counts the ledger's truth");
      await replaceMirror(cache, old, [{ variantId: "a", available: 5 }]);
      assert.equal(await cache.unsettledAdmissions(0), 0, "dropped for good, not only left out");
      const current = await fresh({ a: 5 });
      const [first, second] = [token(), token()];
      await cache.reserve(current, `r-${randomUUID()}`, [{ variantId: "a", quantity: 1 }], first);
      await cache.reserve(current, `r-${randomUUID()}`, [{ variantId: "a", quantity: 1 }], second);
      await fresh({ a: 5 });
      assert.equal(await cache.unsettledAdmissions(0), 0);
    });

    it("adds deltas (positive and negative) to existing counters only", async () => {
      const epoch = await fresh({ a: 5, b: 1 });
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -2 }, { variantId: "b", delta: 4 }, { variantId: "nope", delta: 3 }]), true);
      assert.deepEqual(await counters("a", "b", "nope"), [3, 5, null]);
    });

    it("loads counters for new products at the current epoch", async () => {
      const epoch = await fresh({ a: 5 });
      assert.equal(await cache.load(epoch, [{ variantId: "new", available: 12 }]), true);
      assert.deepEqual(await counters("a", "new"), [5, 12]);
    });

    it("during a rebuild refuses calls fenced by the old epoch, and keeps those fenced by the new one for the counters it writes", async () => {
      const old = await fresh({ a: 5, b: 5, gone: 1 });
      const epoch = randomUUID();
      await cache.beginRebuild(epoch);
      assert.deepEqual(await cache.read(["a"]), { epoch: null, rebuilding: epoch, available: [5] }, "no marker while it runs");
      assert.deepEqual(await cache.reserve(old, "r-1", [{ variantId: "a", quantity: 1 }], token()), { kind: "stale", epoch: null });
      assert.equal(await cache.adjust(old, [{ variantId: "a", delta: -1 }]), false);
      assert.deepEqual(await cache.reserve(epoch, "r-1", [{ variantId: "a", quantity: 1 }], token()), { kind: "stale", epoch: null }, "nothing is reserved on counters being rebuilt");
      // Changes committed after the rebuild's snapshot: a sale, a restock, a new variant sold once.
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -2 }, { variantId: "b", delta: 3 }]), true);
      assert.equal(await cache.load(epoch, [{ variantId: "new", available: 4 }]), true);
      assert.equal(await cache.adjust(epoch, [{ variantId: "new", delta: -1 }, { variantId: "unknown", delta: 6 }]), true);
      assert.equal(await cache.fillRebuild(epoch, [{ variantId: "a", available: 10 }, { variantId: "b", available: 0 }]), true);
      assert.deepEqual(await cache.read(["a", "b", "new", "unknown", "gone"]), { epoch, rebuilding: null, available: [8, 3, 3, null, null] });
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -1 }]), true);
      assert.deepEqual(await counters("a"), [7], "once filled, calls apply to the counters");
    });

    it("counts every delta sent while the counters are written, whichever comes first", async () => {
      await fresh({ v0: 1 });
      const variants = Array.from({ length: 20_000 }, (_, i) => `v${i}`);
      const epoch = randomUUID();
      await cache.beginRebuild(epoch);
      const expected = new Map(variants.map((id) => [id, 100]));
      let seed = 11;
      const pick = () => variants[(seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % variants.length]!;
      const filled = cache.fillRebuild(epoch, variants.map((variantId) => ({ variantId, available: 100 })));
      let sent = 0;
      let done = false;
      void filled.finally(() => (done = true));
      // Four senders keep deltas coming until well after the fill is done, so some land before,
      // while and after each counter is written.
      const sender = async () => {
        for (let after = 0; after < 25; after += done ? 1 : 0) {
          const batch = Array.from({ length: 20 }, () => ({ variantId: pick(), delta: sent++ % 3 === 0 ? 2 : -1 }));
          assert.equal(await cache.adjust(epoch, batch), true);
          for (const { variantId, delta } of batch) expected.set(variantId, expected.get(variantId)! + delta);
          // A turn of the event loop, so a mirror in this process gets on with its fill too.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
      assert.equal(await filled, true);
      const { epoch: marker, available } = await cache.read(variants);
      assert.equal(marker, epoch);
      assert.deepEqual(
        variants.filter((id, i) => available[i] !== expected.get(id)).slice(0, 5).map((id) => [id, available[variants.indexOf(id)], expected.get(id)]),
        [],
        `every counter is its snapshot plus its ${sent} deltas`,
      );
    });

    it("stops a fill once its signal aborts: the rest of the counters unwritten and no marker set", async () => {
      await fresh({ v0: 1 });
      const variants = Array.from({ length: 20_000 }, (_, i) => ({ variantId: `stop-${i}`, available: 3 }));
      const epoch = randomUUID();
      await cache.beginRebuild(epoch);
      const stop = new AbortController();
      const filled = cache.fillRebuild(epoch, variants, stop.signal);
      stop.abort();
      assert.equal(await filled, false);
      const { epoch: marker, available } = await cache.read(variants.map((v) => v.variantId));
      assert.equal(marker, null, "a stopped fill sets no marker");
      assert.ok(available.filter((n) => n !== null).length < variants.length, "the chunks after the stop are not written");
      assert.equal(await cache.fillRebuild(randomUUID(), variants, AbortSignal.abort()), false, "an aborted signal writes nothing at all");
    });

    it("refuses to finish a rebuild another one took over, and leaves the other's counters", async () => {
      await fresh({ a: 1 });
      const [first, second] = [randomUUID(), randomUUID()];
      await cache.beginRebuild(first);
      await cache.beginRebuild(second);
      assert.equal(await cache.adjust(first, [{ variantId: "a", delta: 5 }]), false);
      assert.equal(await cache.fillRebuild(first, [{ variantId: "a", available: 50 }]), false);
      assert.deepEqual(await cache.read(["a"]), { epoch: null, rebuilding: second, available: [1] }, "the first wrote nothing");
      assert.equal(await cache.fillRebuild(second, [{ variantId: "a", available: 2 }]), true);
      assert.deepEqual(await cache.read(["a"]), { epoch: second, rebuilding: null, available: [2] });
    });

    it("keeps a rebuild under way while its loader renews it, and stops calling it one once left unrenewed past its lease", async () => {
      const leased = await create(`contract-${randomUUID().slice(0, 8)}:`, { rebuildLeaseMs: 200 });
      try {
        const epoch = randomUUID();
        await leased.beginRebuild(epoch);
        assert.equal((await leased.read([])).rebuilding, epoch);
        for (let i = 0; i < 4; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          assert.equal(await leased.renewRebuild(epoch), true);
        }
        assert.equal((await leased.read([])).rebuilding, epoch, "renewed past its first lease");
        assert.equal(await leased.renewRebuild(randomUUID()), false, "only the rebuild under way is renewed");
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.deepEqual(await leased.read([]), { epoch: null, rebuilding: null, available: [] });
        assert.equal(await leased.adjust(epoch, [{ variantId: "a", delta: 1 }]), false);
        assert.equal(await leased.fillRebuild(epoch, [{ variantId: "a", available: 1 }]), false);
        assert.equal(await leased.renewRebuild(epoch), false, "a lapsed rebuild is not brought back");
        assert.equal((await leased.read([])).epoch, null);
      } finally {
        await leased.close();
      }
    });

    it("vouches for a rebuild once its last step ran, whatever is written at its epoch since, and for none while another is begun, stopped or taken over", async () => {
      const epoch = await fresh({ a: 5 });
      assert.equal(await cache.completedEpoch(), epoch);
      assert.deepEqual(await cache.reserve(epoch, `r-${randomUUID()}`, [{ variantId: "a", quantity: 2 }], token()), { kind: "reserved" });
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: 1 }]), true);
      assert.equal(await cache.completedEpoch(), epoch, "writes fenced by its epoch keep it complete");

      const stopped = randomUUID();
      await cache.beginRebuild(stopped);
      assert.equal(await cache.completedEpoch(), null, "a rebuild begun replaces it");
      const stopping = new AbortController();
      stopping.abort();
      assert.equal(await cache.fillRebuild(stopped, [{ variantId: "a", available: 5 }], stopping.signal), false);
      assert.equal(await cache.completedEpoch(), null, "a rebuild stopped mid-way never completes");

      const [first, second] = [randomUUID(), randomUUID()];
      await cache.beginRebuild(first);
      await cache.beginRebuild(second);
      assert.equal(await cache.fillRebuild(first, [{ variantId: "a", available: 5 }]), false);
      assert.equal(await cache.completedEpoch(), null, "one taken over never completes");
      assert.equal(await cache.fillRebuild(second, [{ variantId: "a", available: 4 }]), true);
      assert.equal(await cache.completedEpoch(), second);
    });

    it("keeps its session while the connection stays up", async () => {
      const session = cache.session();
      await fresh({ a: 1 });
      await cache.read(["a"]);
      assert.equal(cache.session(), session);
    });
  });
}
