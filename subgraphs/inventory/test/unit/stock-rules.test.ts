import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commitStep, releaseStep, sameItems, validReservation, validRestock } from "../../src/domain/stock-rules.js";

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  return "no error";
};

describe("reservation requests", () => {
  it("are returned trimmed and in product-id order, the order rows are locked in", () => {
    const { reservationId, items } = validReservation(" order-1 ", [{ variantId: "prod_b", quantity: 2 }, { variantId: " prod_a", quantity: 1 }], 10);
    assert.equal(reservationId, "order-1");
    assert.deepEqual(items, [{ variantId: "prod_a", quantity: 1 }, { variantId: "prod_b", quantity: 2 }]);
  });

  it("refuse zero, negative and fractional quantities as BAD_USER_INPUT", () => {
    for (const quantity of [0, -1, 1.5]) assert.equal(codeOf(() => validReservation("o", [{ variantId: "p", quantity }], 10)), "BAD_USER_INPUT", String(quantity));
  });

  it("refuse more than the per-order limit of one product as QUANTITY_LIMIT_EXCEEDED, naming it", () => {
    assert.equal(codeOf(() => validReservation("o", [{ variantId: "p", quantity: 11 }], 10)), "QUANTITY_LIMIT_EXCEEDED");
    assert.doesNotThrow(() => validReservation("o", [{ variantId: "p", quantity: 10 }], 10));
  });

  it("refuse no items, a product twice, blank ids and oversized carts", () => {
    assert.equal(codeOf(() => validReservation("o", [], 10)), "BAD_USER_INPUT");
    assert.equal(codeOf(() => validReservation("o", [{ variantId: "p", quantity: 1 }, { variantId: "p", quantity: 2 }], 10)), "BAD_USER_INPUT");
    assert.equal(codeOf(() => validReservation(" ", [{ variantId: "p", quantity: 1 }], 10)), "BAD_USER_INPUT");
    assert.equal(codeOf(() => validReservation("o", [{ variantId: "", quantity: 1 }], 10)), "BAD_USER_INPUT");
    const many = Array.from({ length: 101 }, (_, i) => ({ variantId: `p${i}`, quantity: 1 }));
    assert.equal(codeOf(() => validReservation("o", many, 10)), "BAD_USER_INPUT");
  });

  it("compare equal only with the same products and quantities", () => {
    const items = [{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 2 }];
    assert.equal(sameItems(items, [...items]), true);
    assert.equal(sameItems(items, [{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 3 }]), false);
    assert.equal(sameItems(items, items.slice(0, 1)), false);
  });
});

describe("restocks", () => {
  it("accept 1 to 1,000,000 units and refuse anything else as BAD_USER_INPUT", () => {
    assert.deepEqual(validRestock("p", 1_000_000), { variantId: "p", quantity: 1_000_000 });
    for (const quantity of [0, -5, 2.5, 1_000_001]) assert.equal(codeOf(() => validRestock("p", quantity)), "BAD_USER_INPUT", String(quantity));
  });
});

describe("reservation transitions", () => {
  it("commit a held reservation, keep a committed one, and take released or expired ones again", () => {
    assert.equal(commitStep("HELD"), "commit");
    assert.equal(commitStep("COMMITTED"), "unchanged");
    assert.equal(commitStep("EXPIRED"), "reserve-again");
    assert.equal(commitStep("RELEASED"), "reserve-again");
  });

  it("release a held reservation, keep released and expired ones, and refuse a committed one", () => {
    assert.equal(releaseStep("r", "HELD"), "release");
    assert.equal(releaseStep("r", "RELEASED"), "unchanged");
    assert.equal(releaseStep("r", "EXPIRED"), "unchanged");
    assert.equal(codeOf(() => releaseStep("r", "COMMITTED")), "ILLEGAL_TRANSITION");
  });
});
