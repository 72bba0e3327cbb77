import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLogger } from "#kernel";
import { waitFor } from "#kernel/testing";
import { EmbeddedStockCache } from "../src/adapters/embedded-stock-cache.js";
import { embeddedRig } from "./support/inventory-rig.js";
import { replaceMirror } from "./support/replace-mirror.js";
import type { MirrorRebuild, StockLedger } from "../src/ports/stock-ledger.js";
import { createStockMirror } from "../src/domain/stock-mirror.js";
import { assertMirrorAgrees, deferred, rejectsWithCode, waitUntilTrusted, withStockedRig } from "./support/proof-helpers.js";

const silent = createLogger("silent", { service: "stock-mirror-test" });

const P = "prod_p";

/** The rig's own process does not act on a doubt another process left (these tests watch a start's answer to it). */
const QUIET = { mirror: { doubtCheckEveryMs: 600_000 } };

// How the service keeps trusting, doubting and rebuilding the mirror, driven through the
// embedded mirror's failure switches (the same rules serve Redis; see the proofs).
describe("The stock mirror", { timeout: 60_000 }, () => {
  it("sells once and rebuilds the mirror when the mirror applied a reservation but its reply was lost", () =>
    withStockedRig(embeddedRig, { [P]: 10 }, {}, async (rig) => {
      const rebuilds = rig.service.mirror.status().rebuilds;
      (rig.cache as EmbeddedStockCache).loseReplies = true;
      await rig.service.reserve("order-1", [{ variantId: P, quantity: 3 }]);
      assert.equal(rig.service.mirror.status().trusted, false, "a lost reply puts the mirror in doubt");
      (rig.cache as EmbeddedStockCache).loseReplies = false;
      const levels = await assertMirrorAgrees(rig, [P]);
      assert.deepEqual(levels.get(P), { variantId: P, available: 7, reserved: 3 });
      assert.ok(rig.service.mirror.status().rebuilds > rebuilds);
    }));

  it("distrusts the admitted units when the ledger fails after an admission, until a rebuild", () => {
    let failNext = false;
    const failOnce = (ledger: StockLedger): StockLedger =>
      Object.assign(Object.create(ledger) as StockLedger, {
        reserve: (request: Parameters<StockLedger["reserve"]>[0]) => {
          if (!failNext) return ledger.reserve(request);
          failNext = false;
          return Promise.reject(new Error("connection lost during commit"));
        },
      });
    return withStockedRig(embeddedRig, { [P]: 10 }, { wrapLedger: failOnce }, async (rig) => {
      failNext = true;
      await assert.rejects(rig.service.reserve("order-1", [{ variantId: P, quantity: 2 }]), /connection lost/);
      assert.equal(rig.service.mirror.status().admitted, 1, "the mirror had admitted the units");
      assert.equal(rig.service.mirror.status().trusted, false);
      const levels = await assertMirrorAgrees(rig, [P]);
      assert.deepEqual(levels.get(P), { variantId: P, available: 10, reserved: 0 });
    });
  });

  it("adopts a rebuild another process made instead of rebuilding again", () =>
    withStockedRig(embeddedRig, { [P]: 10 }, {}, async (rig) => {
      const mine = rig.service.mirror.status();
      const other = await rig.anotherProcess();
      // A start alone adopts the current mirror: a write of its own it lost makes it rebuild.
      other.mirror.doubt("a write whose reply was lost");
      await waitUntilTrusted(other);
      assert.notEqual(other.mirror.status().epoch, mine.epoch);
      await rig.service.reserve("order-1", [{ variantId: P, quantity: 1 }]);
      const after = rig.service.mirror.status();
      assert.equal(after.epoch, other.mirror.status().epoch);
      assert.equal(after.rebuilds, mine.rebuilds);
      assert.equal(after.admitted, mine.admitted + 1, "the reservation went through the adopted mirror");
      await assertMirrorAgrees(rig, [P]);
    }));

  it("begins its own rebuild only once its doubt reached the ledger, so the record never lands on that rebuild and a starting process adopts it", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, QUIET, async (rig) => {
      const events: string[] = [];
      // The doubt's record is slow to reach the ledger: it goes once a rebuild begins, or after a second.
      const rebuildBegan = deferred();
      const slowRecords: StockLedger = Object.assign(Object.create(rig.ledger) as StockLedger, {
        recordDoubt: async (epoch?: string) => {
          await Promise.race([rebuildBegan.promise, new Promise((resolve) => setTimeout(resolve, 1_000))]);
          await rig.ledger.recordDoubt(epoch);
          events.push("doubt recorded");
        },
        rebuildMirror: (rebuild: MirrorRebuild) =>
          rig.ledger.rebuildMirror({
            ...rebuild,
            begin: async (epoch) => {
              events.push("rebuild began");
              rebuildBegan.resolve();
              await rebuild.begin(epoch);
            },
          }),
      });
      const doubting = createStockMirror({ cache: rig.cache, ledger: slowRecords, logger: silent });
      const starting = createStockMirror({ cache: rig.cache, ledger: rig.ledger, logger: silent });
      try {
        doubting.start();
        // Before its start adopted anything: the doubt names no epoch, so it is about the current one.
        doubting.doubt("a write whose reply was lost");
        await waitFor("the doubting process rebuilt", () => doubting.status().trusted, { timeoutMs: 10_000 });
        assert.deepEqual(events, ["doubt recorded", "rebuild began"]);
        starting.start();
        await waitFor("the starting process trusts the mirror", () => starting.status().trusted, { timeoutMs: 10_000 });
        assert.equal(starting.status().epoch, doubting.status().epoch, "adopted, not doubted");
        assert.deepEqual([starting.status().rebuilds, starting.status().adopted], [0, 1]);
      } finally {
        rebuildBegan.resolve();
        await doubting.stop();
        await starting.stop();
      }
    }));

  it("counts a doubt raised before its rebuild's epoch existed as covered by that rebuild, and rebuilds once", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, QUIET, async (rig) => {
      // Another process doubted the mirror: a start rebuilds rather than adopt it.
      await rig.ledger.recordDoubt(rig.service.mirror.status().epoch ?? undefined);
      const starting = createStockMirror({ cache: rig.cache, ledger: rig.ledger, logger: silent });
      try {
        starting.start();
        // Its own write lost while the start's rebuild had not begun: the rebuild's fill replaces it.
        starting.doubt("a write whose reply was lost");
        await waitFor("the starting process trusts the mirror", () => starting.status().trusted, { timeoutMs: 10_000 });
        assert.deepEqual([starting.status().rebuilds, starting.status().adopted], [1, 0]);
      } finally {
        await starting.stop();
      }
    }));

  it("lets go of the mirror it trusts once another process's doubt of it stays unanswered, and rebuilds: the units that process gave back uncounted are on sale", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, { mirror: { doubtCheckEveryMs: 50 } }, async (rig) => {
      await rig.service.reserve("held-order", [{ variantId: P, quantity: 2 }]);
      const doubted = rig.service.mirror.status().epoch;
      // A process gave the hold back in the ledger, could neither record nor count it in the
      // mirror, recorded its doubt and was killed before its rebuild began.
      await rig.ledger.release("held-order", new Date());
      await rig.ledger.recordDoubt(doubted ?? undefined);
      assert.deepEqual((await rig.cache.read([P])).available, [3], "the mirror is 2 units short of the ledger");
      await waitFor("the running process rebuilt", () => rig.service.mirror.status().trusted && rig.service.mirror.status().epoch !== doubted, { timeoutMs: 10_000 });
      assert.deepEqual((await rig.cache.read([P])).available, [5], "the given-back units are on sale");
      assert.equal(rig.service.mirror.status().doubts, 0, "not a doubt of its own writes");
      await assertMirrorAgrees(rig, [P]);
    }));

  it("adopts at its start a mirror whose unsettled admission is young (a live process's), and rebuilds rather than adopt one holding an admission past the unsettled rule", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, {}, async (rig) => {
      let now = Date.now();
      const cache = new EmbeddedStockCache({ clock: () => now });
      const startedMirror = async () => {
        const mirror = createStockMirror({ cache, ledger: rig.ledger, logger: silent, unsettledAfterMs: 30_000 });
        mirror.start();
        await waitFor("the started mirror is trusted", () => mirror.status().trusted, { timeoutMs: 10_000 });
        await mirror.stop();
        return mirror.status();
      };
      const { epoch } = await startedMirror();
      // A process killed after the mirror took 2 units, before the ledger heard of them.
      assert.deepEqual(await cache.reserve(epoch!, "killed-order", [{ variantId: P, quantity: 2 }], randomUUID()), { kind: "reserved" });
      const young = await startedMirror();
      assert.deepEqual([young.rebuilds, young.adopted, young.epoch], [0, 1, epoch]);
      now += 30_000;
      const late = await startedMirror();
      assert.deepEqual([late.rebuilds, late.adopted], [1, 0]);
      assert.notEqual(late.epoch, epoch);
      assert.deepEqual((await cache.read([P])).available, [5], "the units the killed process took are back");
    }));

  it("rebuilds at its start, rather than adopt, a mirror another process doubted and was killed before rebuilding: the units that process gave back without recording or counting them are counted", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, QUIET, async (rig) => {
      const cache = rig.cache as EmbeddedStockCache;
      await rig.service.reserve("held-order", [{ variantId: P, quantity: 2 }]);
      // The process that dies reaches the mirror until a partition cuts it off from it.
      let cutOff = false;
      const unreachable = () => Promise.reject(new Error("the mirror is unreachable from this process"));
      const partitioned: EmbeddedStockCache = Object.assign(Object.create(cache) as EmbeddedStockCache, {
        read: (ids: readonly string[]) => (cutOff ? unreachable() : cache.read(ids)),
        expectGiveBack: (token: string) => (cutOff ? unreachable() : cache.expectGiveBack(token)),
        adjust: (epoch: string, deltas: readonly { variantId: string; delta: number }[]) => (cutOff ? unreachable() : cache.adjust(epoch, deltas)),
      });
      const dying = createStockMirror({ cache: partitioned, ledger: rig.ledger, logger: silent });
      dying.start();
      await waitFor("the dying process trusts the mirror", () => dying.status().trusted, { timeoutMs: 10_000 });
      const doubted = dying.status().epoch;
      cutOff = true;
      // Its give-back: the record fails, the ledger takes the units back, the count fails.
      const expected = await dying.expectGiveBack();
      assert.equal(expected, undefined);
      const released = await rig.ledger.release("held-order", new Date());
      await dying.settle(released!.change, expected);
      assert.equal(dying.status().trusted, false);
      // Killed before its rebuild could begin (it cannot reach the mirror), its doubt gone with it.
      await dying.stop();
      assert.deepEqual((await cache.read([P])).available, [3], "the mirror is 2 units short of the ledger");
      const next = createStockMirror({ cache, ledger: rig.ledger, logger: silent });
      try {
        next.start();
        await waitFor("the next process trusts the mirror", () => next.status().trusted, { timeoutMs: 10_000 });
        assert.notEqual(next.status().epoch, doubted, "not adopted at the doubted epoch");
        assert.deepEqual((await cache.read([P])).available, [5], "the given-back units are on sale");
      } finally {
        await next.stop();
      }
    }));

  it("answers stock reads from the ledger while the mirror is down, and refuses sold-out items there too", () =>
    withStockedRig(embeddedRig, { [P]: 2 }, {}, async (rig) => {
      await rig.cacheDown();
      await rig.service.reserve("order-1", [{ variantId: P, quantity: 2 }]);
      assert.deepEqual([...(await rig.service.availability([P, "prod_unknown"]))], [[P, 0], ["prod_unknown", 0]]);
      const refused = await rejectsWithCode(rig.service.reserve("order-2", [{ variantId: P, quantity: 1 }]), "OUT_OF_STOCK");
      assert.deepEqual([refused.variantId, refused.available], [P, 0]);
      await rig.cacheUp();
      await assertMirrorAgrees(rig, [P]);
    }));

  it("notices a counter the mirror lost and rebuilds it", () =>
    withStockedRig(embeddedRig, { [P]: 4, prod_q: 1 }, {}, async (rig) => {
      const { epoch } = rig.service.mirror.status();
      await replaceMirror(rig.cache, epoch!, [{ variantId: "prod_q", available: 1 }]);
      assert.deepEqual([...(await rig.service.availability([P]))], [[P, 4]]);
      await assertMirrorAgrees(rig, [P, "prod_q"]);
      assert.notEqual(rig.service.mirror.status().epoch, epoch);
    }));

  it("rebuilds nothing before it is started: the ledger answers alone, then start builds it once", () =>
    withStockedRig(embeddedRig, { [P]: 3 }, {}, async (rig) => {
      let rebuildsAsked = 0;
      const counting: StockLedger = Object.assign(Object.create(rig.ledger) as StockLedger, {
        rebuildMirror: (mirror: MirrorRebuild) => {
          rebuildsAsked += 1;
          return rig.ledger.rebuildMirror(mirror);
        },
      });
      const cache = new EmbeddedStockCache();
      const mirror = createStockMirror({ cache, ledger: counting, logger: silent, checkEveryMs: 20 });
      try {
        // What a request before the start asks: each would have started a rebuild.
        assert.equal(await mirror.read([P]), null, "no mirror to read yet");
        assert.deepEqual(await mirror.admit("before-start", [{ variantId: P, quantity: 1 }]), { kind: "bypass" });
        mirror.doubt("a write before the start");
        await new Promise((resolve) => setTimeout(resolve, 200));
        await mirror.settled();
        assert.equal(rebuildsAsked, 0, "nothing read every stock level before the start");
        mirror.start();
        await waitFor("the started mirror is trusted", () => mirror.status().trusted, { timeoutMs: 10_000 });
        assert.equal(rebuildsAsked, 1);
        assert.deepEqual((await mirror.read([P]))?.get(P), 3);
      } finally {
        await mirror.stop();
      }
    }));

  it("stops a rebuild under way when the process stops, rather than waiting for a read that grows with the catalog", () =>
    withStockedRig(embeddedRig, { [P]: 3 }, {}, async (rig) => {
      const reading = deferred();
      // A read of every level that would go on for good unless told to stop.
      const endless: StockLedger = Object.assign(Object.create(rig.ledger) as StockLedger, {
        rebuildMirror: (mirror: MirrorRebuild) =>
          new Promise<string>((_, reject) => {
            reading.resolve();
            mirror.signal?.addEventListener("abort", () => reject(mirror.signal!.reason));
          }),
      });
      const lines: string[] = [];
      const mirror = createStockMirror({ cache: new EmbeddedStockCache(), ledger: endless, logger: createLogger("warn", {}, (line) => lines.push(line)) });
      mirror.start();
      await reading.promise;
      const stoppedIn = await Promise.race([mirror.stop().then(() => "stopped"), new Promise((resolve) => setTimeout(resolve, 5_000, "still waiting"))]);
      assert.equal(stoppedIn, "stopped");
      assert.deepEqual(lines, [], "a stop is no failure to warn about");
    }));

  it("keeps its rebuild while reading the levels outlasts the mirror's lease: a process starting meanwhile waits for it and takes up its end, rather than taking it over or rebuilding again", () =>
    withStockedRig(embeddedRig, { [P]: 3 }, {}, async (rig) => {
      const cache = new EmbeddedStockCache({ rebuildLeaseMs: 300 });
      const reading = deferred();
      const go = deferred();
      const slowRead: StockLedger = Object.assign(Object.create(rig.ledger) as StockLedger, {
        rebuildMirror: (mirror: MirrorRebuild) =>
          rig.ledger.rebuildMirror({
            begin: (epoch) => mirror.begin(epoch),
            fill: async (epoch, levels) => {
              reading.resolve();
              await go.promise;
              await mirror.fill(epoch, levels);
            },
          }),
      });
      const lines: string[] = [];
      const first = createStockMirror({ cache, ledger: slowRead, logger: createLogger("warn", {}, (line) => lines.push(line)), renewEveryMs: 100 });
      const second = createStockMirror({ cache, ledger: rig.ledger, logger: silent, renewEveryMs: 100 });
      try {
        first.start();
        await reading.promise;
        second.start();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        go.resolve();
        await waitFor("both trust the mirror", () => first.status().trusted && second.status().trusted, { timeoutMs: 10_000 });
        assert.deepEqual(lines, [], "the first's rebuild was never taken over (nor failed)");
        // The second waited, then took the first's up: complete, at the ledger's current epoch,
        // with no admission left without its outcome.
        assert.deepEqual([first.status().rebuilds, second.status().rebuilds, second.status().adopted], [1, 0, 1]);
        assert.equal((await cache.read([])).epoch, second.status().epoch);
        assert.deepEqual((await cache.read([P])).available, [3]);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
      }
    }));

  it("gets past a rebuild whose process died between its snapshot and its fill: once its lease lapses another rebuilds, and sales went on meanwhile", () =>
    withStockedRig(embeddedRig, { [P]: 5 }, {}, async (rig) => {
      const cache = new EmbeddedStockCache({ rebuildLeaseMs: 300 });
      const reading = deferred();
      const died = deferred();
      // A loader that never renews and never fills: as if its process was killed mid-rebuild.
      const dies: StockLedger = Object.assign(Object.create(rig.ledger) as StockLedger, {
        rebuildMirror: (mirror: MirrorRebuild) =>
          rig.ledger.rebuildMirror({
            begin: (epoch) => mirror.begin(epoch),
            fill: async () => {
              reading.resolve();
              await died.promise;
              throw new Error("the process is gone");
            },
          }),
      });
      const dead = createStockMirror({ cache, ledger: dies, logger: silent, renewEveryMs: 60_000 });
      const survivor = createStockMirror({ cache, ledger: rig.ledger, logger: silent, renewEveryMs: 100 });
      try {
        dead.start();
        await reading.promise;
        survivor.start();
        // The ledger alone sells meanwhile; the change is kept for the dead rebuild, then dropped with it.
        await rig.service.reserve("during-the-crash", [{ variantId: P, quantity: 2 }]);
        await waitFor("the survivor rebuilt once the lease lapsed", () => survivor.status().trusted, { timeoutMs: 10_000 });
        assert.deepEqual([survivor.status().rebuilds, survivor.status().adopted], [1, 0]);
        assert.deepEqual((await cache.read([P])).available, [3], "the survivor's snapshot holds the sale");
      } finally {
        died.resolve();
        await Promise.all([dead.stop(), survivor.stop()]);
      }
    }));
});
