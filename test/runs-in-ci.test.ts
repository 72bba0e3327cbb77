import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { runsInCI } from "#kernel/testing";

/** What the browser suites decide about a missing Chromium, in a process with this `CI`. */
function missingBrowserVerdict(ci: string): string {
  const script = `import { browserSkipReason } from "./test/support/headless-chromium.ts"; console.log(browserSkipReason("storefront checks"));`;
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, CI: ci, CHROMIUM_PATH: "/nonexistent/chromium" },
    encoding: "utf8",
  }).trim();
}

describe("CI: one reading for the engine suites and the browser suites", () => {
  it("takes true, 1 and yes in any case as CI, and 0, false, no or nothing as a developer's machine", () => {
    for (const ci of ["true", "1", "yes", "TRUE", "True", " true "]) assert.equal(runsInCI({ CI: ci }), true, ci);
    for (const ci of [undefined, "", "0", "false", "no", "FALSE"]) assert.equal(runsInCI({ CI: ci }), false, String(ci));
  });

  it("refuses a value it cannot read rather than skipping what CI must run", () => {
    assert.throws(() => runsInCI({ CI: "ture" }), /CI must be true or false .*"ture"/);
  });

  it("fails a browser suite without Chromium under CI=1 as under CI=true, instead of skipping it", () => {
    assert.equal(missingBrowserVerdict("true"), "Chromium is missing (failed above)");
    assert.equal(missingBrowserVerdict("1"), "Chromium is missing (failed above)");
    assert.match(missingBrowserVerdict("0"), /^Chromium not found at \/nonexistent\/chromium/);
  });
});
