import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import type { StockLedger } from "../src/ports/stock-ledger.js";
import type { InventoryService } from "../src/domain/inventory.service.js";
import type { InventoryRig, RigFactory } from "./support/inventory-rig.js";
import { buy, deferred, range, rejectsWithCode, reservationsByStatus, withStockedRig, waitUntilTrusted } from "./support/proof-helpers.js";

const HOT = "prod_hot";
const STOPPED = "order-stopped";

/** Short enough for a test, long enough that no live admission is ever taken for a stopped one. */
const MIRROR = { unsettledAfterMs: 300, admissionCheckEveryMs: 50 };

/**
 * A ledger whose first write of STOPPED never arrives until `wake` (never, for a process that
 * died): the process stopped after the mirror took the units and before the ledger heard of them.
 */
function stopAfterAdmission() {
  const arrived = deferred();
  const wake = deferred();
  let stopped = false;
  const wrap = (ledger: StockLedger): StockLedger =>
    Object.assign(Object.create(ledger) as StockLedger, {
      reserve: async (request: Parameters<StockLedger["reserve"]>[0]) => {
        if (request.reservationId === STOPPED && !stopped) {
          stopped = true;
          arrived.resolve();
          await wake.promise;
        }
        return ledger.reserve(request);
      },
    });
  return { wrap, arrived, wake };
}

interface StoppedAdmission {
  rig: InventoryRig;
  /** A second process on the same ledger and mirror, trusting the mirror. */
  other: InventoryService;
  /** The stopped process's reservation of 2 of the 5 units: it settles only after `wake`. */
  late: ReturnType<InventoryService["reserve"]>;
  wake(): void;
}

/** 5 units; the rig's process admitted 2 of them for STOPPED and stopped before the ledger write. */
function withStoppedAdmission(createRig: RigFactory, body: (stopped: StoppedAdmission) => Promise<void>): Promise<void> {
  const stop = stopAfterAdmission();
  return withStockedRig(createRig, { [HOT]: 5 }, { wrapLedger: stop.wrap, mirror: MIRROR }, async (rig) => {
    const other = await rig.anotherProcess();
    await waitUntilTrusted(other);
    const late = rig.service.reserve(STOPPED, [{ variantId: HOT, quantity: 2 }]);
    await stop.arrived.promise;
    await body({ rig, other, late, wake: stop.wake.resolve });
  });
}

async function mirrorCount(rig: InventoryRig): Promise<number | null> {
  return (await rig.cache.read([HOT])).available[0] ?? null;
}

/** The mirror's counter equals the ledger's `available`, once `service` trusts the mirror. */
async function assertAgrees(rig: InventoryRig, service: InventoryService): Promise<{ available: number; reserved: number }> {
  await service.availability([HOT]);
  await waitUntilTrusted(service);
  const level = (await rig.ledger.levels([HOT])).get(HOT)!;
  const mirror = await rig.cache.read([HOT]);
  assert.equal(mirror.epoch, service.mirror.status().epoch, "the mirror is at the epoch the service trusts");
  assert.equal(mirror.available[0], level.available, "Redis and PostgreSQL agree");
  return { available: level.available, reserved: level.reserved };
}

async function sellOneByOne(service: InventoryService, prefix: string, buyers: number): Promise<number> {
  let sold = 0;
  for (const i of range(buyers)) if ((await buy(service, `${prefix}-${i}`, [{ variantId: HOT, quantity: 1 }])).sold) sold += 1;
  return sold;
}

/**
 * A process that stops between the mirror's admission and the ledger's write (killed, hung,
 * cut off) leaves the counters short of units the ledger still has. The other processes find
 * the admission that never got its outcome, rebuild, and sell those units; whatever the stopped
 * process does after waking is counted once.
 */
export function defineStoppedAdmissionProofs(engine: string, createRig: RigFactory): void {
  describe(`A process stopped after an admission strands no stock [${engine}]`, { timeout: 60_000 }, () => {
    it("sells the units a process took from the mirror and then died with, before the ledger heard of them", () =>
      withStoppedAdmission(createRig, async ({ rig, other }) => {
        // The process is gone: no more checks, no settle, no rebuild from it.
        await rig.service.mirror.stop();
        assert.equal(await mirrorCount(rig), 3, "the mirror holds the 2 units taken");
        const rebuildsBefore = other.mirror.status().rebuilds + other.mirror.status().adopted;
        await waitFor("the surviving process gave the units back", async () => (await mirrorCount(rig)) === 5 && other.mirror.status().trusted);
        assert.ok(other.mirror.status().rebuilds + other.mirror.status().adopted > rebuildsBefore, "by a rebuild from the ledger");
        assert.equal(await sellOneByOne(other, "after", 6), 5, "every unit sold, and no more");
        assert.deepEqual(await assertAgrees(rig, other), { available: 0, reserved: 5 });
      }));

    it("counts a hung process's write once when it wakes after the rebuild and the ledger takes it", () =>
      withStoppedAdmission(createRig, async ({ rig, other, late, wake }) => {
        const epochBefore = (await rig.cache.read([])).epoch;
        await waitFor("a rebuild gave the units back", async () => (await rig.cache.read([])).epoch !== epochBefore && (await mirrorCount(rig)) === 5);
        wake();
        assert.equal((await late).status, "HELD");
        assert.deepEqual(await assertAgrees(rig, other), { available: 3, reserved: 2 });
        assert.equal(await sellOneByOne(other, "after", 4), 3);
        assert.deepEqual(await assertAgrees(rig, other), { available: 0, reserved: 5 });
      }));

    it("gives nothing back twice when a hung process wakes after the rebuild to a ledger that refuses it", () =>
      withStoppedAdmission(createRig, async ({ rig, other, late, wake }) => {
        await waitFor("a rebuild gave the units back", async () => (await mirrorCount(rig)) === 5 && other.mirror.status().trusted);
        assert.equal(await sellOneByOne(other, "meanwhile", 5), 5);
        wake();
        await rejectsWithCode(late, "OUT_OF_STOCK");
        // Its give-back is fenced by the epoch it was admitted at, which the rebuild replaced.
        assert.deepEqual(await assertAgrees(rig, other), { available: 0, reserved: 5 });
        assert.equal(await sellOneByOne(other, "after", 2), 0);
      }));

    it("holds a cart's units once when its first tab's process dies after the admission and a second tab checks it out on another process", () =>
      withStoppedAdmission(createRig, async ({ rig, other }) => {
        await rig.service.mirror.stop();
        // The second tab, the same reservation id: the mirror takes 2 more units, the ledger holds the id once.
        assert.deepEqual(await buy(other, STOPPED, [{ variantId: HOT, quantity: 2 }]), { sold: true });
        await waitFor("the surviving process gave the dead tab's units back", async () => (await mirrorCount(rig)) === 3 && other.mirror.status().trusted);
        assert.deepEqual(await assertAgrees(rig, other), { available: 3, reserved: 2 });
        assert.equal(await sellOneByOne(other, "after", 4), 3);
        assert.deepEqual(await reservationsByStatus(rig), { HELD: 4 });
      }));

    it("rebuilds nothing for admissions that got their outcome: sold, repeated, refused by the ledger", () =>
      withStockedRig(createRig, { [HOT]: 6, prod_c: 3 }, { mirror: MIRROR }, async (rig) => {
        const before = rig.service.mirror.status();
        assert.equal(await sellOneByOne(rig.service, "sale", 4), 4);
        // A repeat: admitted again by the mirror, answered "existing" by the ledger, given back.
        assert.deepEqual(await buy(rig.service, "sale-0", [{ variantId: HOT, quantity: 1 }]), { sold: true });
        // Sold behind the mirror's back: the mirror admits, the ledger refuses, the units go back.
        await rig.prisma.stockLevel.update({ where: { variantId: "prod_c" }, data: { available: 0 } });
        await rejectsWithCode(rig.service.reserve("cart-c", [{ variantId: "prod_c", quantity: 1 }]), "OUT_OF_STOCK");
        await new Promise((resolve) => setTimeout(resolve, MIRROR.unsettledAfterMs + 4 * MIRROR.admissionCheckEveryMs));
        assert.equal(await rig.cache.unsettledAdmissions(0), 0, "every admission was settled");
        const after = rig.service.mirror.status();
        assert.deepEqual([after.rebuilds, after.doubts], [before.rebuilds, before.doubts], "no rebuild, no doubt");
        assert.equal(after.admitted - before.admitted, 6);
      }));
  });
}
