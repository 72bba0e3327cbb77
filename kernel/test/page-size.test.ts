import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeCursor, DomainError, pageSize } from "#kernel";

const refusal = (work: () => unknown): DomainError => {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return error;
  }
  return assert.fail("expected a refusal");
};

describe("page arguments: a refused one is named, with what it takes", () => {
  it("names `first` and its limit when a page is too large or not a whole number of at least 1", () => {
    for (const first of [0, 101, 1_000, 2.5]) {
      const refused = refusal(() => pageSize(first));
      assert.equal(refused.extensions.code, "BAD_USER_INPUT");
      assert.equal(refused.extensions.field, "first", String(first));
      assert.equal(refused.extensions.limit, 100);
      assert.equal(refused.extensions.first, first);
    }
    assert.equal(refusal(() => pageSize(21, { max: 20 })).extensions.limit, 20);
    assert.equal(pageSize(undefined), 20);
    assert.equal(pageSize(100), 100);
  });

  it("names `after` when a cursor is not one this API gave", () => {
    const refused = refusal(() => decodeCursor("not-a-cursor", (value): value is number => typeof value === "number"));
    assert.equal(refused.extensions.field, "after");
  });

  it("refuses a cursor longer than any page gives without decoding it or quoting it back (red team: 90,000 characters returned whole)", () => {
    let decoded = false;
    const forged = Buffer.from(JSON.stringify({ key: [1, "x".repeat(5_000)] })).toString("base64url");
    const refused = refusal(() => decodeCursor(forged, (value): value is unknown => (decoded = true)));
    assert.equal(refused.extensions.code, "BAD_USER_INPUT");
    assert.equal(refused.extensions.field, "after");
    assert.equal(refused.extensions.cursor, undefined, "not quoted back");
    assert.equal(decoded, false, "not decoded");
  });
});
