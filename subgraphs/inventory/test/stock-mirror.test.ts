import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EmbeddedStockCache } from "../src/adapters/embedded-stock-cache.js";
import { embeddedRig } from "./support/inventory-rig.js";
import { replaceMirror } from "./support/replace-mirror.js";
import type { StockLedger } from "../src/ports/stock-ledger.js";
import { assertMirrorAgrees, rejectsWithCode, waitUntilTrusted, withStockedRig } from "./support/proof-helpers.js";

const P = "prod_p";

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
      await waitUntilTrusted(other);
      assert.notEqual(other.mirror.status().epoch, mine.epoch);
      await rig.service.reserve("order-1", [{ variantId: P, quantity: 1 }]);
      const after = rig.service.mirror.status();
      assert.equal(after.epoch, other.mirror.status().epoch);
      assert.equal(after.rebuilds, mine.rebuilds);
      assert.equal(after.admitted, mine.admitted + 1, "the reservation went through the adopted mirror");
      await assertMirrorAgrees(rig, [P]);
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
});
