import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EmbeddedCatalogJournal } from "../src/adapters/embedded-catalog-journal.js";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { DuplicateSkuError } from "../src/ports/product-store.js";
import { sampleProduct } from "./product-store.contract.js";
import { apparelProduct } from "./product-store-variants.contract.js";

const dir = mkdtempSync(join(tmpdir(), "catalog-variants-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("Embedded catalog journaled before variants", () => {
  it("reads an old product with its default variant, keeps its SKU claimed, and journals variants from its next write on", async () => {
    const old = sampleProduct();
    const { options: _o, variants: _v, lastVariantKey: _k, ...before } = old;
    // The journal as the version before variants left it: one live product without variants.
    const slots = new Map<string, unknown>([[old.id, { product: before, deleted: false, publishedVersion: 1, seq: 1, categorySeq: 1 }]]);
    const journal = await EmbeddedCatalogJournal.open(dir, { slots, lastSeq: new Map([["", 1], [old.category, 1]]) });
    await journal.save([old.id]);
    await journal.close();

    const store = await EmbeddedProductStore.open(dir);
    assert.deepEqual((await store.findByIds([old.id])).get(old.id), old);
    const clash = apparelProduct();
    clash.variants[0] = { ...clash.variants[0]!, sku: old.sku };
    await assert.rejects(store.insert(clash), DuplicateSkuError);
    const price = { amount: 2500, currency: "USD" };
    await store.update(old.id, (current) => ({ price, variants: [{ ...current.variants[0]!, price }] }), new Date());
    await store.close();

    const reopened = await EmbeddedProductStore.open(dir);
    const read = (await reopened.findByIds([old.id])).get(old.id)!;
    assert.deepEqual(read.variants, [{ id: old.id, sku: old.sku, options: [], price, images: [] }]);
    await reopened.close();
  });
});
