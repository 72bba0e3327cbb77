import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "#kernel";

describe("payment retry window against the stock hold", () => {
  it("refuses a retry window as long as the hold: a late success would be charged for units sold meanwhile", () => {
    assert.throws(
      () => loadConfig({ APP_ENV: "test", PAYMENT_RETRY_FOR_MS: "900000", RESERVATION_TTL_MS: "900000" }),
      (error: unknown) => error instanceof ConfigError && /PAYMENT_RETRY_FOR_MS \(900000\).*must be shorter than RESERVATION_TTL_MS \(900000\)/.test(error.message),
    );
  });

  it("counts the last drive's calls and the sweep's wait: a window just under the hold is refused too", () => {
    // 10 min + 30 s + 4 x (5 s + 5 s) = 670 s: a hold of 11 min (660 s) is too short.
    assert.throws(() => loadConfig({ APP_ENV: "test", RESERVATION_TTL_MS: "660000" }), ConfigError);
    assert.equal(loadConfig({ APP_ENV: "test", RESERVATION_TTL_MS: "680000" }).inventory.reservationTtlMs, 680_000);
  });

  it("takes one shorter than the hold, and the defaults", () => {
    assert.equal(loadConfig({ APP_ENV: "test", PAYMENT_RETRY_FOR_MS: "900000", RESERVATION_TTL_MS: "1200000" }).payments.retryForMs, 900_000);
    const defaults = loadConfig({ APP_ENV: "test" });
    assert.ok(defaults.payments.retryForMs < defaults.inventory.reservationTtlMs);
  });
});
