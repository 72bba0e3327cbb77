import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { judgeRetries, retryAuditLine } from "../../bench/checkout/retry-audit.js";

const audit = (codes: Record<string, number>) => retryAuditLine(judgeRetries(new Map(Object.entries(codes))));

describe("the flash sale's retry audit", () => {
  it("passes retries all refused OUT_OF_STOCK", () => {
    assert.deepEqual(audit({ OUT_OF_STOCK: 50 }), { line: "audit: retries after the sell-out: 50 refused OUT_OF_STOCK", failed: false });
  });

  it("counts SERVICE_UNAVAILABLE apart as the machine's refusal and does not fail on it", () => {
    const result = audit({ OUT_OF_STOCK: 40, SERVICE_UNAVAILABLE: 10 });
    assert.equal(result.failed, false);
    assert.match(result.line, /40 refused OUT_OF_STOCK; 10 refused SERVICE_UNAVAILABLE by the loaded machine/);
  });

  it("fails on a wrong answer, naming it, even beside machine refusals", () => {
    const placed = audit({ OUT_OF_STOCK: 40, SERVICE_UNAVAILABLE: 5, PLACED: 1 });
    assert.equal(placed.failed, true);
    assert.match(placed.line, /not refused OUT_OF_STOCK: 1 PLACED; 5 refused SERVICE_UNAVAILABLE/);
    assert.equal(audit({ INTERNAL_SERVER_ERROR: 2 }).failed, true);
    assert.equal(audit({ OUT_OF_STOCK: 3, BAD_USER_INPUT: 1 }).failed, true);
  });
});
