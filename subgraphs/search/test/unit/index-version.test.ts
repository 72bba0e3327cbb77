import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { indexVersion } from "../../src/domain/index-version.js";
import type { SearchDocument } from "../../src/ports/search-index.js";

const upsert = (version: number, popularity: number) => ({ kind: "upsert" as const, document: { id: "prod_x", version, popularity } as SearchDocument });

describe("indexVersion", () => {
  it("orders by catalog version first, then by units sold", () => {
    assert.ok(indexVersion(upsert(2, 0)) > indexVersion(upsert(1, 4_000_000_000)));
    assert.ok(indexVersion(upsert(2, 6)) > indexVersion(upsert(2, 5)));
    assert.equal(indexVersion(upsert(2, 5)), indexVersion(upsert(2, 5)));
  });

  it("ranks a deletion above every announcement of its version and below the next version", () => {
    const deletion = indexVersion({ kind: "delete", id: "prod_x", version: 3 });
    assert.ok(deletion > indexVersion(upsert(3, 2 ** 32 - 2)));
    assert.ok(deletion < indexVersion(upsert(4, 0)));
  });

  it("caps units sold within their span and refuses versions it cannot order exactly", () => {
    assert.equal(indexVersion(upsert(1, 2 ** 40)), indexVersion(upsert(1, 2 ** 32 - 1)));
    assert.equal(indexVersion(upsert(1, -5)), indexVersion(upsert(1, 0)));
    assert.ok(Number.isSafeInteger(indexVersion(upsert(2 ** 21 - 1, 2 ** 32 - 1))));
    assert.throws(() => indexVersion(upsert(2 ** 21, 0)), RangeError);
    assert.throws(() => indexVersion(upsert(1.5, 0)), RangeError);
  });
});
