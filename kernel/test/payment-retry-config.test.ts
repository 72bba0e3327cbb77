import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "#kernel";

describe("payment retry window against the stock hold", () => {
  it("refuses a retry window as long as the hold: a late success would be charged for units sold meanwhile", () => {
    assert.throws(
      () => loadConfig({ APP_ENV: "test", PAYMENT_RETRY_FOR_MS: "900000", RESERVATION_TTL_MS: "900000" }),
      (error: unknown) => error instanceof ConfigError && /PAYMENT_RETRY_FOR_MS \(900000\) must be shorter than RESERVATION_TTL_MS \(900000\)/.test(error.message),
    );
  });

  it("takes one shorter than the hold, and the defaults", () => {
    assert.equal(loadConfig({ APP_ENV: "test", PAYMENT_RETRY_FOR_MS: "900000", RESERVATION_TTL_MS: "1200000" }).payments.retryForMs, 900_000);
    const defaults = loadConfig({ APP_ENV: "test" });
    assert.ok(defaults.payments.retryForMs < defaults.inventory.reservationTtlMs);
  });
});
