import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import type { InventoryService } from "../src/domain/inventory.service.js";
import type { MirrorRebuild, StockLedger } from "../src/ports/stock-ledger.js";
import type { InventoryRig, RigFactory } from "./support/inventory-rig.js";
import { buy, deferred, range, withStockedRig, waitUntilTrusted } from "./support/proof-helpers.js";
import { replaceMirror } from "./support/replace-mirror.js";

const HOT = "prod_restart";
const COLD = "prod_restart_cold";

/** Sells `buyers` single units on `service`, one buyer at a time; how many were sold and how refused. */
async function sell(service: InventoryService, prefix: string, buyers: number): Promise<{ sold: number; codes: Set<unknown> }> {
  let sold = 0;
  const codes = new Set<unknown>();
  for (const i of range(buyers)) {
    const outcome = await buy(service, `${prefix}-${i}`, [{ variantId: HOT, quantity: 1 }]);
    if (outcome.sold) sold += 1;
    else codes.add(outcome.code);
  }
  return { sold, codes };
}

/** The mirror's counters equal the ledger's `available`, at the epoch `service` trusts and the ledger's current one. */
async function assertAgrees(rig: InventoryRig, service: InventoryService): Promise<void> {
  await waitUntilTrusted(service);
  const mirror = await rig.cache.read([HOT, COLD]);
  const levels = await rig.ledger.levels([HOT, COLD]);
  assert.equal(mirror.epoch, service.mirror.status().epoch, "the mirror is at the epoch the service trusts");
  assert.equal(mirror.epoch, await rig.ledger.currentEpoch(), "and at the ledger's current epoch");
  assert.deepEqual(mirror.available, [levels.get(HOT)!.available, levels.get(COLD)!.available], "Redis and PostgreSQL agree");
}

/** Whether the marker was ever missing while `during` ran: a rebuild drops it, and every process's fast path with it. */
async function markerDroppedWhile<T>(rig: InventoryRig, during: () => Promise<T>): Promise<{ dropped: boolean; result: T }> {
  let done = false;
  let dropped = false;
  const watching = (async () => {
    while (!done) {
      if ((await rig.cache.read([])).epoch === null) dropped = true;
      await nextTurn();
    }
  })();
  try {
    return { result: await during(), dropped };
  } finally {
    done = true;
    await watching;
  }
}

/**
 * The process that replaces the rig's (a rolling restart: the new one starts, the old one
 * stops), once `before` left the mirror as a crash or an operator would.
 */
async function restart(rig: InventoryRig, before: () => Promise<void> = async () => {}): Promise<InventoryService> {
  await rig.service.mirror.stop();
  await before();
  const next = await rig.anotherProcess();
  await waitUntilTrusted(next);
  return next;
}

/**
 * A starting process adopts a mirror it can prove current and rebuilds only when it cannot:
 * a rolling restart leaves every process's fast path on, and no crash it cannot see past
 * (a rebuild killed mid-fill, an emptied server, counters of another epoch, a process killed
 * between the mirror and the ledger) ever makes it sell a unit twice or keep one off sale.
 */
export function defineRestartProofs(engine: string, createRig: RigFactory): void {
  describe(`A restarted inventory process rebuilds the mirror only when it cannot prove it current [${engine}]`, { timeout: 90_000 }, () => {
    it("adopts a current mirror at its start: no rebuild, no new epoch, the marker never dropped, and it sells through the mirror", () =>
      withStockedRig(createRig, { [HOT]: 20, [COLD]: 3 }, {}, async (rig) => {
        const epoch = await rig.ledger.currentEpoch();
        await rig.service.reserve("before-restart", [{ variantId: HOT, quantity: 2 }]);
        const { dropped, result: next } = await markerDroppedWhile(rig, async () => {
          const started = await rig.anotherProcess();
          await waitUntilTrusted(started);
          return started;
        });
        await rig.service.mirror.stop();
        const status = next.mirror.status();
        assert.deepEqual([status.rebuilds, status.adopted, status.epoch], [0, 1, epoch], "taken up, not rebuilt");
        assert.equal(await rig.ledger.currentEpoch(), epoch, "the ledger started no new epoch");
        assert.equal(dropped, false, "no process lost its fast path while it started");
        const { sold, codes } = await sell(next, "after", 20);
        assert.equal(sold, 18);
        assert.deepEqual([...codes], ["OUT_OF_STOCK"]);
        assert.deepEqual([next.mirror.status().admitted, next.mirror.status().bypassed], [18, 0], "every sale admitted by the adopted mirror");
        await assertAgrees(rig, next);
      }));

    it("rebuilds at its start when the last rebuild was killed mid-fill, and sells exactly the stock", () =>
      withStockedRig(createRig, { [HOT]: 6, [COLD]: 3 }, { rebuildLeaseMs: 500, mirror: { renewEveryMs: 100 } }, async (rig) => {
        let killed = "";
        const next = await restart(rig, async () => {
          // The epoch moved, the old counters were cleared, and the process died before writing any.
          await assert.rejects(
            rig.ledger.rebuildMirror({
              begin: (epoch) => rig.cache.beginRebuild((killed = epoch)),
              fill: async (epoch, levels) => {
                const dying = new AbortController();
                async function* diesAtFirstPage() {
                  for await (const page of levels) {
                    dying.abort();
                    yield page;
                  }
                }
                await rig.cache.fillRebuild(epoch, diesAtFirstPage(), dying.signal);
              },
            }),
          );
        });
        assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted], [1, 0]);
        assert.notEqual(next.mirror.status().epoch, killed);
        assert.equal((await sell(next, "after", 8)).sold, 6);
        await assertAgrees(rig, next);
      }));

    it("rebuilds at its start when the mirror's server came back empty", () =>
      withStockedRig(createRig, { [HOT]: 4, [COLD]: 3 }, { restartableCache: true }, async (rig) => {
        await rig.service.reserve("before-restart", [{ variantId: HOT, quantity: 1 }]);
        const next = await restart(rig, async () => {
          await rig.cacheDown();
          await rig.cacheUp();
        });
        assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted], [1, 0]);
        assert.equal((await sell(next, "after", 5)).sold, 3);
        await assertAgrees(rig, next);
      }));

    it("rebuilds at its start when the mirror is complete but at another epoch than the ledger's (counters from an older rebuild)", () =>
      withStockedRig(createRig, { [HOT]: 4, [COLD]: 3 }, {}, async (rig) => {
        const next = await restart(rig, async () => {
          // Finished, on this server's run, but no rebuild the ledger knows: its counters say 40.
          await replaceMirror(rig.cache, randomUUID(), [{ variantId: HOT, available: 40 }, { variantId: COLD, available: 3 }]);
        });
        assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted], [1, 0]);
        assert.deepEqual((await rig.cache.read([HOT])).available, [4]);
        assert.equal((await sell(next, "after", 6)).sold, 4);
        await assertAgrees(rig, next);
      }));

    it("waits for a rebuild another process has under way at its start and adopts its end: one rebuild in all", () => {
      const filling = deferred();
      const go = deferred();
      let pauseNext = false;
      const pausing = (ledger: StockLedger): StockLedger =>
        Object.assign(Object.create(ledger) as StockLedger, {
          rebuildMirror: (mirror: MirrorRebuild) =>
            ledger.rebuildMirror({
              ...mirror,
              fill: async (epoch, levels) => {
                if (pauseNext) {
                  pauseNext = false;
                  filling.resolve();
                  await go.promise;
                }
                await mirror.fill(epoch, levels);
              },
            }),
        });
      return withStockedRig(createRig, { [HOT]: 5, [COLD]: 3 }, { wrapLedger: pausing }, async (rig) => {
        const before = rig.service.mirror.status();
        pauseNext = true;
        rig.service.mirror.doubt("a write whose reply was lost");
        await filling.promise;
        const next = await rig.anotherProcess();
        try {
          await waitFor("the starting process saw the rebuild under way", async () => (await rig.cache.read([])).rebuilding !== null);
          assert.equal(next.mirror.status().trusted, false);
        } finally {
          go.resolve();
        }
        await waitUntilTrusted(next);
        await waitUntilTrusted(rig.service);
        assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted], [0, 1]);
        assert.equal(rig.service.mirror.status().rebuilds, before.rebuilds + 1);
        assert.equal(next.mirror.status().epoch, rig.service.mirror.status().epoch);
        await rig.service.mirror.stop();
        assert.equal((await sell(next, "after", 7)).sold, 5);
        await assertAgrees(rig, next);
      });
    });

    it("adopts the mirror of a process killed between an admission and its ledger write, then rebuilds once the admission is old enough: the units come back, none sold twice", () =>
      withStockedRig(createRig, { [HOT]: 5, [COLD]: 3 }, { mirror: { unsettledAfterMs: 1_000, admissionCheckEveryMs: 50 } }, async (rig) => {
        const epoch = rig.service.mirror.status().epoch!;
        const next = await restart(rig, async () => {
          // What the old process did just before it was killed: the mirror took 2 units, the ledger never heard.
          assert.deepEqual(await rig.cache.reserve(epoch, "killed-order", [{ variantId: HOT, quantity: 2 }], randomUUID()), { kind: "reserved" });
        });
        // Adopted (the admission was young: a live process's, for all it knew) or, on a slow
        // start, rebuilt at once (it was old already): either way rebuilt from the ledger once.
        await waitFor("the starting process rebuilt the mirror from the ledger", async () => {
          await next.availability([HOT]);
          return next.mirror.status().rebuilds === 1 && next.mirror.status().trusted && (await rig.cache.read([HOT])).available[0] === 5;
        }, { timeoutMs: 20_000 });
        const { sold, codes } = await sell(next, "after", 7);
        assert.equal(sold, 5, "every unit the ledger has, and no more");
        assert.deepEqual([...codes], ["OUT_OF_STOCK"]);
        await assertAgrees(rig, next);
      }));
  });
}
