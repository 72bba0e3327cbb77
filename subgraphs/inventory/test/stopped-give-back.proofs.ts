import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import type { StockLedger } from "../src/ports/stock-ledger.js";
import type { InventoryService } from "../src/domain/inventory.service.js";
import type { InventoryRig, RigFactory } from "./support/inventory-rig.js";
import { buy, deferred, range, withStockedRig, waitUntilTrusted } from "./support/proof-helpers.js";

const HOT = "prod_hot";

/** Short enough for a test, long enough that no live give-back is ever taken for a stopped one. */
const MIRROR = { unsettledAfterMs: 300, admissionCheckEveryMs: 50 };

type GiveBack = "release" | "putBack" | "restock" | "expireDue";

/**
 * A ledger whose next `method` call commits and then never answers: the process died after the
 * ledger took the units back and before the mirror heard of them.
 */
function stopAfterCommit() {
  const committed = deferred();
  let armed: GiveBack | undefined;
  const wrap = (ledger: StockLedger): StockLedger => {
    const stopping =
      <A extends unknown[], R>(method: GiveBack, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const result = await call(...args);
        if (armed !== method) return result;
        armed = undefined;
        committed.resolve();
        return new Promise<R>(() => undefined);
      };
    return Object.assign(Object.create(ledger) as StockLedger, {
      release: stopping("release", ledger.release.bind(ledger)),
      putBack: stopping("putBack", ledger.putBack.bind(ledger)),
      restock: stopping("restock", ledger.restock.bind(ledger)),
      expireDue: stopping("expireDue", ledger.expireDue.bind(ledger)),
    });
  };
  return { wrap, committed, arm: (method: GiveBack) => void (armed = method) };
}

async function mirrorCount(rig: InventoryRig): Promise<number | null> {
  return (await rig.cache.read([HOT])).available[0] ?? null;
}

async function sellOneByOne(service: InventoryService, prefix: string, buyers: number): Promise<number> {
  let sold = 0;
  for (const i of range(buyers)) if ((await buy(service, `${prefix}-${i}`, [{ variantId: HOT, quantity: 1 }])).sold) sold += 1;
  return sold;
}

/**
 * 5 units, 2 of them in `before`'s state; then the rig's process gives units back through
 * `giveBack`, its ledger commits, and it dies before the mirror hears of it. The surviving
 * process must find that out, rebuild, and sell every unit the ledger has.
 */
function provesNoUnitStranded(createRig: RigFactory, method: GiveBack, steps: {
  before: (rig: InventoryRig) => Promise<void>;
  giveBack: (rig: InventoryRig) => Promise<unknown>;
  /** Units the ledger has for sale once the give-back committed. */
  available: number;
}): Promise<void> {
  const stop = stopAfterCommit();
  return withStockedRig(createRig, { [HOT]: 5 }, { wrapLedger: stop.wrap, mirror: MIRROR, ttlMs: 60_000 }, async (rig) => {
    const other = await rig.anotherProcess();
    await waitUntilTrusted(other);
    await steps.before(rig);
    stop.arm(method);
    void steps.giveBack(rig);
    await stop.committed.promise;
    // The process is gone: no more checks, no adjust, no rebuild from it.
    await rig.service.mirror.stop();
    const level = (await rig.ledger.levels([HOT])).get(HOT)!;
    assert.equal(level.available, steps.available, "the ledger took the units back");
    await waitFor("the surviving process counts the units given back", async () => {
      await other.availability([HOT]);
      return (await mirrorCount(rig)) === steps.available && other.mirror.status().trusted;
    });
    assert.equal(await sellOneByOne(other, "after", steps.available + 1), steps.available, "every unit sold, and no more");
    assert.equal((await rig.ledger.levels([HOT])).get(HOT)!.available, 0);
    assert.equal(await mirrorCount(rig), 0, "Redis and PostgreSQL agree");
  });
}

/**
 * A process that stops between a ledger change giving units back (a released hold, a return, a
 * restock, an expiry) and the mirror's adjust left the counters short of them: an undersell on
 * every process until one restarted. The surviving processes find the change that never reached
 * the mirror, rebuild, and sell those units.
 */
export function defineStoppedGiveBackProofs(engine: string, createRig: RigFactory): void {
  describe(`A process stopped after giving units back strands none [${engine}]`, { timeout: 60_000 }, () => {
    it("sells the units of a hold released by a process that died before the mirror heard", () =>
      provesNoUnitStranded(createRig, "release", {
        before: async (rig) => void (await rig.service.reserve("order-failed", [{ variantId: HOT, quantity: 2 }])),
        giveBack: (rig) => rig.service.release("order-failed"),
        available: 5,
      }));

    it("sells the units of a return put back by a process that died before the mirror heard", () =>
      provesNoUnitStranded(createRig, "putBack", {
        before: async (rig) => {
          await rig.service.reserve("order-paid", [{ variantId: HOT, quantity: 2 }]);
          await rig.service.commit("order-paid");
        },
        giveBack: (rig) => rig.service.returnStock("return-1", [{ variantId: HOT, quantity: 2 }]),
        available: 5,
      }));

    it("sells the units of a restock made by a process that died before the mirror heard", () =>
      provesNoUnitStranded(createRig, "restock", {
        before: async () => undefined,
        giveBack: (rig) => rig.service.restock({ variantId: HOT }, 3, "delivery-of-three"),
        available: 8,
      }));

    it("sells the units of a hold expired by a process that died before the mirror heard", () =>
      provesNoUnitStranded(createRig, "expireDue", {
        before: async (rig) => {
          await rig.service.reserve("order-abandoned", [{ variantId: HOT, quantity: 2 }]);
          rig.clock.advance(120_000);
        },
        giveBack: (rig) => rig.service.expireDue(10),
        available: 5,
      }));

    it("rebuilds nothing for give-backs that reached the mirror", () =>
      withStockedRig(createRig, { [HOT]: 5 }, { mirror: MIRROR }, async (rig) => {
        const before = rig.service.mirror.status();
        await rig.service.reserve("order-failed", [{ variantId: HOT, quantity: 2 }]);
        await rig.service.release("order-failed");
        await rig.service.reserve("order-paid", [{ variantId: HOT, quantity: 1 }]);
        await rig.service.commit("order-paid");
        await rig.service.returnStock("return-1", [{ variantId: HOT, quantity: 1 }]);
        await rig.service.restock({ variantId: HOT }, 1, "delivery-of-one");
        await new Promise((resolve) => setTimeout(resolve, MIRROR.unsettledAfterMs + 4 * MIRROR.admissionCheckEveryMs));
        assert.equal(await rig.cache.unsettledAdmissions(0), 0, "every give-back was settled");
        const after = rig.service.mirror.status();
        assert.deepEqual([after.rebuilds, after.doubts], [before.rebuilds, before.doubts], "no rebuild, no doubt");
        assert.equal(await mirrorCount(rig), 6);
      }));
  });
}
